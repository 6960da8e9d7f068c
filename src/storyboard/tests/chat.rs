//! What a chat gateway can be sent: a remix of a published Sora video (its share link or
//! `s_…` id, the same video either way), never of a take (its videos carry no id), and a
//! `style_id` from the gateways' list, which other providers refuse.

use super::super::{RemixOf, SegmentSettings};
use super::{SETTINGS, check_segments as check};

const CHAT: SegmentSettings = crate::provider::chat::CAPABILITIES.segment_settings(1);

const SHARE_ID: &str = "s_68e3a06dcd888191b150971da152c1f5";

#[test]
fn chat_remixes_a_share_link_or_id_as_one_video() {
    let got = check(
        CHAT,
        &[
            &format!(
                r#""segment_index": 1, "prompt_text": "a", "remix_of": "https://sora.chatgpt.com/p/{SHARE_ID}""#
            ),
            &format!(r#""segment_index": 2, "prompt_text": "a", "remix_of": "{SHARE_ID}""#),
        ],
    )
    .unwrap();
    for segment in &got {
        assert_eq!(segment.remix_of, Some(RemixOf::Video(SHARE_ID.into())));
    }
    assert_eq!(got[0].fingerprint(), got[1].fingerprint());
}

#[test]
fn chat_refuses_a_take_remix_and_an_id_that_is_no_share_id_naming_segment_and_field() {
    let got = check(
        CHAT,
        &[
            r#""segment_index": 1, "prompt_text": "a""#,
            r#""segment_index": 2, "prompt_text": "b", "remix_of": {"segment": 1}"#,
            r#""segment_index": 3, "prompt_text": "c", "remix_of": "video_68d7""#,
            r#""segment_index": 4, "prompt_text": "d", "remix_of": "https://sora.chatgpt.com/p/video_1""#,
        ],
    )
    .unwrap_err();
    assert_eq!(got.len(), 3, "{got:#?}");
    let take = &got[0];
    for said in [
        "segment 2: remix_of:",
        "chat cannot remix a take of this storyboard (segment 1, version 1)",
        "share link",
    ] {
        assert!(take.contains(said), "{said:?} in {take}");
    }
    assert!(
        got[1].contains("segment 3: remix_of:") && got[1].contains("is not a Sora share id"),
        "{}",
        got[1]
    );
    assert!(
        got[2].contains("segment 4: remix_of:") && got[2].contains("is not a Sora share link"),
        "{}",
        got[2]
    );
}

#[test]
fn chat_takes_a_style_id_others_refuse_it_and_a_near_miss_is_named() {
    let styled = r#""segment_index": 1, "prompt_text": "a", "style_id": "anime""#;
    let got = check(CHAT, &[styled]).unwrap();
    assert_eq!(got[0].style_id.as_deref(), Some("anime"));
    let plain = check(CHAT, &[r#""segment_index": 1, "prompt_text": "a""#]).unwrap();
    assert_ne!(
        got[0].fingerprint(),
        plain[0].fingerprint(),
        "a style is part of the video"
    );
    let refused = check(SETTINGS, &[styled]).unwrap_err();
    assert!(
        refused[0].contains("style_id: this provider applies no styles")
            && refused[0].contains("--provider chat"),
        "{refused:?}"
    );
    let typo = check(
        CHAT,
        &[r#""segment_index": 1, "prompt_text": "a", "style_id": "{Anime}""#],
    )
    .unwrap_err();
    assert!(
        typo[0].contains("did you mean \"anime\"") && typo[0].contains("nostalgic"),
        "{typo:?}"
    );
}
