//! Reference images as `image_url` content parts: a data URL is read (its bytes, SHA-256
//! and pixel size recorded, an upload reported in the stream), an https link is recorded
//! and ignored as sora2api ignores it, and a data URL that is no image is refused before
//! billing.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::images::png;
use super::*;

fn with_image(url: &str) -> Value {
    json!({"model": "sora2-portrait-10s", "stream": true, "messages": [{"role": "user",
        "content": [{"type": "text", "text": "the cat moves"},
            {"type": "image_url", "image_url": {"url": url}}]}]})
}

fn mentions_upload(streamed: &Streamed) -> bool {
    streamed.reasoning().iter().any(|r| {
        r.as_str()
            .is_some_and(|text| text.contains("Image uploaded"))
    })
}

#[tokio::test]
async fn a_data_url_reference_is_read_and_recorded_with_its_hash_and_size() {
    let sim = start(quick());
    let image = png(720, 1280);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&image);
    let streamed = streamed(
        &sim,
        &with_image(&format!("data:image/png;base64,{encoded}")),
    )
    .await;
    assert!(streamed.done && mentions_upload(&streamed), "{streamed:?}");
    let stats = stats(&sim).await;
    let sha256: String = Sha256::digest(&image)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let seen = json!([{"how": "data_url", "bytes": image.len(), "sha256": sha256,
        "pixels": "720x1280"}]);
    assert_eq!(stats["chat"]["references"], seen);
    assert_eq!(stats["creates_by_prompt"]["the cat moves"], 1);
    assert_eq!(stats["creates_by_image_url"]["data_url"], 1);
}

#[tokio::test]
async fn an_https_link_is_recorded_and_ignored() {
    let sim = start(quick());
    let streamed = streamed(&sim, &with_image("https://example.com/cat.png")).await;
    assert!(streamed.done && !mentions_upload(&streamed), "{streamed:?}");
    let stats = stats(&sim).await;
    let seen = json!([{"how": "url", "bytes": null, "sha256": null, "pixels": null}]);
    assert_eq!(stats["chat"]["references"], seen);
    assert_eq!(stats["creates_by_image_url"], json!({}));
}

#[tokio::test]
async fn a_data_url_that_is_no_image_is_refused_before_billing() {
    let sim = start(quick());
    let encoded = base64::engine::general_purpose::STANDARD.encode(b"not an image");
    for url in [
        format!("data:image/png;base64,{encoded}"),
        "data:image/png;base64,%%%".into(),
    ] {
        let (status, answer) = answered(&sim, &with_image(&url)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["param"], "messages", "{answer}");
    }
    assert_eq!(stats(&sim).await["creates"], 0);
}
