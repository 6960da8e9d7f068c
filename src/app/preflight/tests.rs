use std::sync::Arc;

use super::*;
use crate::journal::JobKey;
use crate::plan::JobState;
use crate::storyboard::Segment;

fn job(video: PathBuf, state: JobState) -> JobSpec {
    JobSpec {
        key: JobKey {
            storyboard: "storyboard.json".to_string(),
            segment: 1,
            version: 1,
            fingerprint: "f".repeat(64),
        },
        segment: Arc::new(Segment::example("a lake")),
        fingerprint: "f".repeat(64).into(),
        video,
        state,
        extra: false,
        provider: "test",
    }
}

/// Whether permissions bind here: as root (or with CAP_DAC_OVERRIDE) a read-only folder
/// still accepts files, and the tests of refusals cannot run.
#[cfg(unix)]
fn permissions_bind(read_only: &Path) -> bool {
    probe(read_only).is_err()
}

#[cfg(unix)]
fn read_only_folder(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o555)).unwrap();
}

#[test]
fn free_space_below_the_estimate_is_a_warning_naming_the_folder_and_sizes() {
    let folder = Path::new("./output");
    // 4 jobs of 10 s: 44,000,000 bytes.
    let warning = space_warning(40, 20_000_000, folder)
        .expect("a warning")
        .to_string();
    assert!(
        warning.starts_with("only 19.07 MiB free where output is"),
        "{warning}"
    );
    assert!(
        warning.contains("40 s of video need about 41.96 MiB"),
        "{warning}"
    );
    assert_eq!(space_warning(40, 44_000_000, folder), None);
    assert_eq!(space_warning(0, 0, folder), None);
}

#[test]
fn folders_that_do_not_exist_yet_are_checked_at_their_nearest_existing_ancestor() {
    let root = tempfile::tempdir().unwrap();
    let made = root.path().join("output/storyboard/Segment_1");
    std::fs::create_dir_all(&made).unwrap();
    let later = root.path().join("output/other/Segment_2");
    let targets = nearest_existing(BTreeSet::from([made.as_path(), later.as_path()]));
    assert_eq!(
        targets,
        BTreeSet::from([made.clone(), root.path().join("output")])
    );
    assert_eq!(
        nearest_existing(BTreeSet::from([Path::new("not-here/Segment_1")])),
        BTreeSet::from([PathBuf::from(".")])
    );
}

#[test]
fn a_report_path_that_is_a_folder_or_in_a_missing_folder_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let err = check(&[], Some(root.path())).unwrap_err();
    assert!(matches!(err, PreflightError::ReportIsFolder(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("is a folder; name a file in it instead")
    );
    let missing = root.path().join("reports/last-run.json");
    let err = check(&[], Some(&missing)).unwrap_err();
    assert!(
        err.to_string().contains("does not exist; create it"),
        "{err}"
    );
    assert!(check(&[], Some(&root.path().join("last-run.json"))).is_ok());
}

#[test]
fn writable_folders_pass_and_leave_no_probe_behind() {
    let root = tempfile::tempdir().unwrap();
    let jobs = [
        job(root.path().join("out/a/Segment_1/1_v1.mp4"), JobState::New),
        job(
            root.path().join("out/b/Segment_1/1_v1.mp4"),
            JobState::Changed,
        ),
    ];
    std::fs::create_dir_all(root.path().join("out/b/Segment_1")).unwrap();
    check(&[&jobs[0], &jobs[1]], None).unwrap();
    let left: Vec<_> = std::fs::read_dir(root.path().join("out/b/Segment_1"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[cfg(unix)]
#[test]
fn a_read_only_video_folder_is_an_error_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let locked = root.path().join("out/storyboard/Segment_1");
    read_only_folder(&locked);
    if !permissions_bind(&locked) {
        eprintln!("skipped: permissions do not bind for this user (root?)");
        return;
    }
    let video = locked.join("1_v1.mp4");
    let err = check(&[&job(video, JobState::New)], None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write to {} (", locked.display())),
        "{err}"
    );
}
