//! `POST /videos`: the request as sent (multipart or JSON, the key's header), and each
//! answer mapped to its error class, the provider's words redacted and printable.

use super::*;

const VIDEO: &str = r#"{"id": "video_1", "object": "video", "status": "queued"}"#;

#[tokio::test]
async fn a_default_create_is_multipart_with_the_fields_as_strings_and_a_bearer_key() {
    let (base, mut requests) = capturing(VIDEO).await;
    let accepted = client_at(&base, Options::default())
        .create(&segment("a red fox", 8))
        .await
        .unwrap();
    assert_eq!(accepted.task_id, "video_1");
    assert_eq!(accepted.cost_cents, Cost::Unstated, "OpenAI does not say");
    let request = requests.recv().await.unwrap().to_ascii_lowercase();
    assert!(request.starts_with("post /v1/videos "), "{request}");
    assert!(
        request.contains("content-type: multipart/form-data; boundary="),
        "{request}"
    );
    assert!(request.contains(&format!(
        "authorization: bearer {}",
        KEY.to_ascii_lowercase()
    )));
    for (name, value) in [
        ("model", "sora-2"),
        ("prompt", "a red fox"),
        ("seconds", "8"),
        ("size", "1280x720"),
    ] {
        let part = format!("content-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        assert!(request.contains(&part), "no {name} part: {request}");
    }
}

#[tokio::test]
async fn the_api_key_header_style_sends_the_key_there_and_not_as_a_bearer() {
    let (base, mut requests) = capturing(VIDEO).await;
    let options = Options {
        auth: AuthHeader::ApiKey,
        format: RequestFormat::Json,
    };
    client_at(&base, options)
        .create(&segment("a red fox", 8))
        .await
        .unwrap();
    let request = requests.recv().await.unwrap().to_ascii_lowercase();
    assert!(request.contains(&format!("api-key: {}", KEY.to_ascii_lowercase())));
    assert!(!request.contains("authorization:"), "{request}");
    assert!(
        request.contains("content-type: application/json"),
        "{request}"
    );
    assert!(request.contains(r#""seconds":"8""#), "{request}");
}

#[tokio::test]
async fn creates_in_both_formats_and_key_styles_are_accepted_by_the_api() {
    let sim = start(quick()).await;
    let multipart = client(&sim).create(&segment("a fox", 4)).await.unwrap();
    let with_image = Segment {
        image_url: Some("https://example.com/first.png".to_string()),
        ..segment("a fox with a picture", 12)
    };
    let json = json_client(&sim).create(&with_image).await.unwrap();
    let azure = Options {
        auth: AuthHeader::ApiKey,
        ..Options::default()
    };
    let pro = Segment {
        is_pro: true,
        resolution: Resolution::Vertical,
        ..segment("a pro fox", 8)
    };
    let keyed = client_at(&sim.base_url(), azure)
        .create(&pro)
        .await
        .unwrap();
    let stats = sim.stats();
    assert_eq!(stats.creates, 3);
    assert_eq!(stats.api_key_header_calls, 1, "Azure's header was used");
    assert_eq!(stats.reference_creates, 1);
    assert_eq!(stats.last_reference.unwrap().how, "url");
    // What the simulator made of each: 10 ¢/s for sora-2, 30 ¢/s for pro at 720p.
    assert_eq!(stats.billed_cents, 4 * 10 + 12 * 10 + 8 * 30);
    for (id, model, seconds, size) in [
        (&multipart.task_id, "sora-2", "4", "1280x720"),
        (&json.task_id, "sora-2", "12", "1280x720"),
        (&keyed.task_id, "sora-2-pro", "8", "720x1280"),
    ] {
        let raw = client(&sim).video(id).await.unwrap().raw;
        assert_eq!(
            (
                raw["model"].as_str(),
                raw["seconds"].as_str(),
                raw["size"].as_str()
            ),
            (Some(model), Some(seconds), Some(size)),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn a_bad_parameter_is_a_final_rejection_in_the_providers_words_redacted() {
    let sim = start(SimSettings {
        echo_key: true,
        ..quick()
    })
    .await;
    let rejected = client(&sim)
        .create(&segment("a fox", 10))
        .await
        .unwrap_err();
    let ProviderError::Rejected { message, .. } = &rejected else {
        panic!("{rejected:?}")
    };
    assert!(
        message.contains("HTTP 400: Invalid value for 'seconds'"),
        "{message}"
    );
    assert!(
        message.contains("[redacted]"),
        "the sim echoed the key: {message}"
    );
    assert_clean(&rejected.to_string());
    assert_eq!(sim.stats().creates, 0);
}

#[tokio::test]
async fn a_wrong_key_stops_the_run_without_printing_the_key() {
    // The simulator takes another key than the client's (`start` would give it ours).
    let sim = sim::start(SimSettings {
        echo_key: true,
        api_keys: vec![crate::sim::SimKey::new("sk-another-key-entirely")],
        ..quick()
    })
    .await
    .unwrap();
    let client = client(&sim);
    for error in [
        client.create(&segment("a fox", 4)).await.unwrap_err(),
        client.video("video_1").await.unwrap_err(),
        client.list(1).await.unwrap_err(),
    ] {
        let ProviderError::Unauthorized { message, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(message.contains("HTTP 401: Incorrect API key"), "{message}");
        assert!(message.contains("[redacted]"), "{message}");
        assert_clean(&error.to_string());
    }
}

#[tokio::test]
async fn a_create_answered_404_means_no_api_at_that_address() {
    let sim = start(quick()).await;
    let base = format!("http://{}/v2", sim.addr);
    let error = client_at(&base, Options::default())
        .create(&segment("a fox", 4))
        .await
        .unwrap_err();
    let ProviderError::NoApi { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("try --base-url http://"), "{message}");
    assert!(message.contains("/v2/v1"), "{message}");
}

#[tokio::test]
async fn an_exhausted_quota_is_out_of_money_and_a_busy_api_a_rate_limit_with_its_wait() {
    let sim = start(SimSettings {
        balance: Some(40),
        ..quick()
    })
    .await;
    let client = client(&sim);
    client.create(&segment("a fox", 4)).await.unwrap();
    let broke = client.create(&segment("a fox", 4)).await.unwrap_err();
    assert!(
        matches!(&broke, ProviderError::OutOfMoney { message } if message.contains("quota")),
        "{broke:?}"
    );
    let sim = start(SimSettings {
        capacity: Some(1),
        gen_seconds: GenSeconds(30.0, 30.0),
        ..SimSettings::default()
    })
    .await;
    let client = super::client(&sim);
    client.create(&segment("a fox", 4)).await.unwrap();
    let busy = client.create(&segment("a fox", 4)).await.unwrap_err();
    assert!(
        matches!(busy, ProviderError::RateLimited { retry_after: Some(wait), .. } if wait > Duration::ZERO),
        "{busy:?}"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_ambiguous_and_was_billed() {
    for answer in [
        sim::AmbiguousAnswer::Drop,
        sim::AmbiguousAnswer::ServerError,
        sim::AmbiguousAnswer::Unavailable,
    ] {
        let sim = start(SimSettings {
            ambiguous_rate: 1.0,
            ambiguous_answer: answer,
            ..quick()
        })
        .await;
        let error = client(&sim).create(&segment("a fox", 4)).await.unwrap_err();
        assert!(
            matches!(error, ProviderError::Ambiguous { .. }),
            "{answer:?}: {error:?}"
        );
        assert_eq!(sim.stats().creates, 1, "{answer:?}: the create was billed");
    }
}

#[tokio::test]
async fn server_faults_that_echo_the_key_map_to_retries_and_come_out_redacted() {
    let sim = start(SimSettings {
        echo_key: true,
        fault_rate: 1.0,
        ..quick()
    })
    .await;
    let client = client(&sim);
    let mut messages = Vec::new();
    for _ in 0..12 {
        let create = client.create(&segment("a fox", 4)).await.unwrap_err();
        assert!(
            matches!(create, ProviderError::Ambiguous { .. }),
            "a failed create may have made a video: {create:?}"
        );
        let status = client.video("video_1").await.unwrap_err();
        let list = client.list(1).await.unwrap_err();
        for later in [&status, &list] {
            assert!(
                matches!(
                    later,
                    ProviderError::Transient { .. } | ProviderError::RateLimited { .. }
                ),
                "{later:?}"
            );
        }
        messages.extend([create, status, list].map(|error| error.to_string()));
    }
    let echoed = messages.iter().filter(|m| m.contains("[redacted]")).count();
    assert!(
        echoed > 5,
        "the faults should have echoed the key: {messages:#?}"
    );
    for message in &messages {
        assert_clean(message);
    }
}

#[tokio::test]
async fn an_image_link_in_a_multipart_create_is_refused_before_anything_is_sent() {
    let sim = start(quick()).await;
    let with_image = Segment {
        image_url: Some("https://example.com/first.png".to_string()),
        ..segment("a fox", 4)
    };
    let refused = client(&sim).create(&with_image).await.unwrap_err();
    assert!(
        matches!(refused, ProviderError::Rejected { .. }),
        "{refused:?}"
    );
    assert_eq!(
        sim.stats().creates + sim.stats().bad_requests,
        0,
        "nothing sent"
    );
}

/// The declaration validation and the dry run read is the API's truth: every length it
/// declares, in both modes, is taken, billed at the declared per-second price; a length it
/// does not declare is refused.
#[tokio::test]
async fn its_capabilities_are_what_the_api_takes_and_bills() {
    let sim = start(quick()).await;
    let client = client(&sim);
    let mut expected = 0;
    for is_pro in [false, true] {
        for seconds in CAPABILITIES.durations.all() {
            let mut shot = segment("a declared length", seconds);
            shot.is_pro = is_pro;
            client
                .submit(&shot)
                .await
                .expect("a declared length is taken");
            expected += CAPABILITIES.price_model.price_of(&shot) as i64;
        }
    }
    assert_eq!(sim.stats().billed_cents, expected);
    let undeclared = (1..=30)
        .find(|s| !CAPABILITIES.durations.offers(*s))
        .unwrap();
    let refused = client
        .submit(&segment("an undeclared length", undeclared))
        .await;
    assert!(
        matches!(refused, Err(ProviderError::Rejected { .. })),
        "{refused:?}"
    );
}
