//! `GET /videos/{id}` and what follows it: statuses as the API and the gateways name
//! them, the poll hint, failures in the provider's words, the content link and who gets
//! the key for it, and the download of that link.

use super::*;
use crate::download::{self, DownloadError, Source};

#[tokio::test]
async fn a_completed_video_is_fetched_from_its_content_link() {
    let sim = start(quick()).await;
    let client = client(&sim);
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    let first = client.video(&accepted.task_id).await.unwrap();
    assert_eq!(first.phase, TaskPhase::Queued, "{:?}", first.raw);
    assert_eq!(first.poll_after, None, "no hint was sent");
    let done = final_status(&client, &accepted.task_id).await;
    let expected = format!("{}/videos/{}/content", sim.base_url(), accepted.task_id);
    assert_eq!(
        done.phase,
        TaskPhase::Completed {
            video_url: Url::parse(&expected).unwrap(),
            remix_id: Some(accepted.task_id.clone()),
        }
    );
    assert_eq!(
        done.raw["id"],
        accepted.task_id.as_str(),
        "kept for the sidecar"
    );
    assert!(
        client.clock_offset_ms().is_some(),
        "the Date header was read"
    );
}

#[tokio::test]
async fn gateway_statuses_are_normalised_like_the_official_ones() {
    let sim = start(SimSettings {
        gateway_statuses: true,
        gen_seconds: GenSeconds(0.6, 0.6),
        ..SimSettings::default()
    })
    .await;
    let client = client(&sim);
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    let mut seen = Vec::new();
    loop {
        let status = client.video(&accepted.task_id).await.unwrap();
        let name = status.raw["status"].as_str().unwrap().to_string();
        if !seen.contains(&name) {
            seen.push(name);
        }
        match status.phase {
            TaskPhase::Completed { .. } => break,
            TaskPhase::Failed { message } => panic!("{message}"),
            TaskPhase::Queued | TaskPhase::Running { .. } => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen.last().map(String::as_str), Some("succeeded"));
    assert!(
        seen.iter()
            .all(|s| ["pending", "processing", "succeeded"].contains(&s.as_str()))
    );
    assert!(seen.len() >= 2, "{seen:?}");
}

#[tokio::test]
async fn a_gateways_cancelled_and_expired_videos_are_final_failures() {
    let sim = start(SimSettings {
        gateway_statuses: true,
        fail_rate: 1.0,
        ..quick()
    })
    .await;
    let client = client(&sim);
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    let cancelled = final_status(&client, &accepted.task_id).await;
    assert_eq!(cancelled.raw["status"], "cancelled");
    assert!(matches!(cancelled.phase, TaskPhase::Failed { .. }));
    let sim = start(SimSettings {
        gateway_statuses: true,
        expire_after: Some(Duration::from_millis(1)),
        ..quick()
    })
    .await;
    let client = super::client(&sim);
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = client.video(&accepted.task_id).await.unwrap();
    assert_eq!(expired.raw["status"], "expired");
    assert!(
        matches!(&expired.phase, TaskPhase::Failed { message } if message.contains("expired")),
        "{:?}",
        expired.phase
    );
}

#[tokio::test]
async fn a_moderation_block_is_a_final_failure_in_the_providers_words() {
    let sim = start(SimSettings {
        echo_key: true,
        ..quick()
    })
    .await;
    let client = client(&sim);
    let prompt = format!("a fox {}", sim::FORBIDDEN_MARK);
    let accepted = client.create(&segment(&prompt, 4)).await.unwrap();
    let failed = final_status(&client, &accepted.task_id).await;
    let TaskPhase::Failed { message } = &failed.phase else {
        panic!("{:?}", failed.phase)
    };
    assert!(
        message.contains("blocked by our moderation system"),
        "{message}"
    );
    assert!(message.contains("(moderation_blocked)"), "{message}");
    assert!(
        message.contains("[redacted]"),
        "the sim echoed the key: {message}"
    );
    assert_clean(message);
    assert!(!failed.raw.to_string().contains(KEY), "{}", failed.raw);
}

#[tokio::test]
async fn the_servers_poll_hint_is_passed_on() {
    let sim = start(SimSettings {
        openai_poll_after_ms: Some(1500),
        ..quick()
    })
    .await;
    let client = client(&sim);
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    let status = client.video(&accepted.task_id).await.unwrap();
    assert_eq!(status.poll_after, Some(Duration::from_millis(1500)));
}

#[tokio::test]
async fn an_unknown_video_is_unknown_and_an_id_stays_one_path_segment() {
    let sim = start(quick()).await;
    let client = client(&sim);
    let created = client.create(&segment("a fox", 4)).await.unwrap();
    let unknown = client.video("video_nope").await.unwrap_err();
    assert!(
        matches!(unknown, ProviderError::UnknownTask { .. }),
        "{unknown:?}"
    );
    // Unencoded, `x/../{id}` would reach GET /videos/{id} and read as that video.
    let walked = client
        .video(&format!("x/../{}", created.task_id))
        .await
        .unwrap_err();
    assert!(
        matches!(walked, ProviderError::UnknownTask { .. }),
        "{walked:?}"
    );
    let folder = client.video("..").await.unwrap_err();
    assert!(
        matches!(folder, ProviderError::Rejected { .. }),
        "{folder:?}"
    );
}

#[test]
fn the_key_goes_only_to_the_apis_own_origin_in_the_header_the_calls_use() {
    let header = |options: Options, url: &str| {
        let client = client_at("https://user:pw@api.example.com/v1", options);
        let auth = client.download_auth().expect("content links need the key");
        let url = Url::parse(url).unwrap();
        auth.for_url(&url)
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
    };
    let azure = Options {
        auth: AuthHeader::ApiKey,
        ..Options::default()
    };
    let content = "https://api.example.com/v1/videos/v1/content";
    let bearer = format!("authorization: Bearer {KEY}");
    assert_eq!(header(Options::default(), content), Some(bearer.clone()));
    assert_eq!(header(azure, content), Some(format!("api-key: {KEY}")));
    assert_eq!(
        header(Options::default(), "https://api.example.com:443/other"),
        Some(bearer)
    );
    for elsewhere in [
        "http://api.example.com/v1/videos/v1/content",
        "https://api.example.com:8443/v1/videos/v1/content",
        "https://cdn.example.com/v1/videos/v1/content",
        "https://api.example.com.evil.test/v1/videos/v1/content",
        "https://example.com/v1/videos/v1/content",
    ] {
        assert_eq!(header(Options::default(), elsewhere), None, "{elsewhere}");
        assert_eq!(header(azure, elsewhere), None, "{elsewhere}");
    }
}

#[tokio::test]
async fn the_content_link_carries_no_password_from_the_base_url() {
    let (base, _requests) = capturing(r#"{"id": "video_1", "status": "completed"}"#).await;
    let base = base.replace("http://", "http://someone:s3cr3t-pa55@");
    let client = client_at(&base, Options::default());
    let TaskPhase::Completed { video_url, .. } = client.video("video_1").await.unwrap().phase
    else {
        panic!("not completed")
    };
    assert_eq!((video_url.username(), video_url.password()), ("", None));
    assert!(video_url.as_str().ends_with("/v1/videos/video_1/content"));
    let auth = client.download_auth().unwrap();
    assert!(auth.for_url(&video_url).is_some(), "the same origin");
}

/// Downloads a completed video's content link as the engine does, with the key the
/// dialect gives for it.
async fn download(client: &OpenAi) -> Result<u64, DownloadError> {
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    let TaskPhase::Completed { video_url, .. } =
        final_status(client, &accepted.task_id).await.phase
    else {
        panic!("not completed")
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Source {
        auth: client.download_auth(),
        url: video_url,
        owner: accepted.task_id,
        max_bytes: 1 << 30,
        local_links: client.api_is_local(),
    };
    // Past a 1 ms `--expire-after` for certain.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let dest = dir.path().join("video.mp4");
    let fetched = download::download_once(
        &download::Http::new(Duration::from_secs(5)),
        &source,
        &dest,
        &|_| {},
        &|_| Ok(()),
    )
    .await?;
    Ok(fetched.bytes)
}

#[tokio::test]
async fn the_content_is_downloaded_with_the_key_and_a_redirect_elsewhere_gets_none() {
    let sim = start(quick()).await;
    assert!(download(&client(&sim)).await.unwrap() > 0);
    let sim = start(SimSettings {
        content_redirect: true,
        ..quick()
    })
    .await;
    assert!(download(&client(&sim)).await.unwrap() > 0);
    let stats = sim.stats();
    assert_eq!(
        stats.redirected_requests, 1,
        "the content was served elsewhere"
    );
    assert_eq!(stats.redirected_with_key, 0, "the key stayed home");
}

#[tokio::test]
async fn an_api_key_download_is_redirected_elsewhere_without_the_key() {
    let azure = Options {
        auth: AuthHeader::ApiKey,
        ..Options::default()
    };
    let sim = start(quick()).await;
    assert!(download(&client_at(&sim.base_url(), azure)).await.unwrap() > 0);
    let sim = start(SimSettings {
        content_redirect: true,
        ..quick()
    })
    .await;
    assert!(download(&client_at(&sim.base_url(), azure)).await.unwrap() > 0);
    let stats = sim.stats();
    assert_eq!(
        stats.redirected_requests, 1,
        "the content was served elsewhere"
    );
    assert_eq!(
        stats.redirected_with_key, 0,
        "the api-key header stayed home"
    );
}

#[tokio::test]
async fn expired_content_is_a_final_failure_naming_the_expiry_not_a_retry_loop() {
    let sim = start(SimSettings {
        expire_after: Some(Duration::from_millis(1)),
        ..quick()
    })
    .await;
    let error = download(&client(&sim)).await.unwrap_err();
    assert!(
        matches!(&error, DownloadError::Expired { status: 404, code, .. } if code == "video_expired"),
        "{error:?}"
    );
    assert!(!error.retryable(), "{error}");
    let message = error.to_string();
    assert!(message.contains("has expired at the provider"), "{message}");
    assert_eq!(sim.stats().expired_downloads, 1, "asked once");
}

#[tokio::test]
async fn an_api_key_header_never_follows_a_redirect_to_another_origin() {
    let (elsewhere, mut requests) = capturing(r#"{"id": "video_1", "status": "queued"}"#).await;
    let base = redirecting(&elsewhere).await;
    let azure = Options {
        auth: AuthHeader::ApiKey,
        ..Options::default()
    };
    let refused = client_at(&base, azure).video("video_1").await.unwrap_err();
    assert!(
        matches!(&refused, ProviderError::Transient { message, .. } if message.contains("another origin")),
        "{refused:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(requests.try_recv().is_err(), "the other origin was called");
    // A Bearer key is dropped on the way (by reqwest), so that redirect is followed.
    let status = client_at(&base, Options::default()).video("video_1").await;
    assert_eq!(status.unwrap().phase, TaskPhase::Queued);
    let request = requests.recv().await.unwrap().to_ascii_lowercase();
    assert!(!request.contains("authorization"), "{request}");
}

#[tokio::test]
async fn the_same_origin_client_keeps_an_api_key_from_a_content_redirect() {
    let sim = start(SimSettings {
        content_redirect: true,
        ..quick()
    })
    .await;
    let client = client(&sim);
    let accepted = client.create(&segment("a fox", 4)).await.unwrap();
    let TaskPhase::Completed { video_url, .. } =
        final_status(&client, &accepted.task_id).await.phase
    else {
        panic!("not completed")
    };
    let answer = crate::provider::same_origin_http_client(Duration::from_secs(5))
        .get(video_url)
        .header("api-key", KEY)
        .send()
        .await;
    assert!(answer.is_err_and(|err| err.is_redirect()));
    assert_eq!(
        sim.stats().redirected_requests,
        0,
        "the other origin was not called"
    );
}
