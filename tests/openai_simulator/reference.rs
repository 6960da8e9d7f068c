//! `input_reference`: a multipart file part or, in JSON, a data URL, a URL or
//! `{"image_url": …}`; PNG, JPEG and WebP read for their pixel size, which must match the
//! video's; what arrived is in `/__stats`.

use base64::Engine;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;

/// The header of a PNG of `width`x`height` (all a reader of its size looks at).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// A JPEG that is only its start and a baseline frame header.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    bytes.extend(height.to_be_bytes());
    bytes.extend(width.to_be_bytes());
    bytes.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    bytes
}

/// An extended WebP's header.
fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    bytes.extend(&(width - 1).to_le_bytes()[..3]);
    bytes.extend(&(height - 1).to_le_bytes()[..3]);
    bytes
}

async fn multipart(sim: &RunningSim, size: &str, image: Vec<u8>) -> (StatusCode, Value) {
    let form = Form::new()
        .text("model", "sora-2-pro")
        .text("prompt", "a portrait")
        .text("seconds", "4")
        .text("size", size.to_string())
        .part("input_reference", Part::bytes(image).file_name("ref.png"));
    answer(api(sim, Method::POST, "/videos").multipart(form)).await
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_multipart_image_of_the_video_size_is_taken_and_shows_in_stats() {
    let sim = start(quick());
    let image = png(1024, 1792);
    let (status, video) = multipart(&sim, "1024x1792", image.clone()).await;
    assert_eq!(status, StatusCode::OK, "{video}");
    assert_eq!(
        (&video["model"], &video["size"]),
        (&json!("sora-2-pro"), &json!("1024x1792"))
    );
    let stats = sim.stats();
    assert_eq!((stats.reference_creates, stats.billed_cents), (1, 200));
    let seen = stats.last_reference.expect("the image was seen");
    assert_eq!(seen.how, "file");
    assert_eq!(seen.bytes, Some(image.len() as u64));
    assert_eq!(seen.sha256, Some(sha256(&image)));
    assert_eq!(seen.pixels.as_deref(), Some("1024x1792"));
    for (image, size) in [(jpeg(1280, 720), "1280x720"), (webp(720, 1280), "720x1280")] {
        let (status, video) = multipart(&sim, size, image).await;
        assert_eq!(status, StatusCode::OK, "{size}: {video}");
    }
    assert_eq!(sim.stats().reference_creates, 3);
}

#[tokio::test]
async fn an_image_whose_pixels_differ_from_size_or_that_is_no_image_gets_400() {
    let sim = start(quick());
    let gif = b"GIF89a\x00\x05\xd0\x02\0\0".to_vec();
    for (image, what) in [
        (png(1280, 720), "Inpaint image must match"),
        (jpeg(720, 1280), "Inpaint image must match"),
        (webp(1024, 1792), "Inpaint image must match"),
        (gif, "Invalid file format"),
        (vec![1, 2, 3], "Invalid file format"),
    ] {
        let (status, answer) = multipart(&sim, "1792x1024", image).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["param"], "input_reference", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(what), "{message}");
    }
    let stats = sim.stats();
    assert_eq!(
        (stats.creates, stats.reference_creates, stats.bad_requests),
        (0, 0, 5)
    );
    assert_eq!(stats.last_reference, None);
}

#[tokio::test]
async fn json_takes_a_data_url_a_url_or_an_image_url_object() {
    let sim = start(quick());
    let image = png(720, 1280);
    let data_url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&image)
    );
    for (reference, how) in [
        (json!(data_url), "data_url"),
        (json!({"image_url": data_url}), "data_url"),
        (json!("https://images.example/a.png"), "url"),
        (json!({"image_url": "https://images.example/a.png"}), "url"),
        (json!({"file_id": "file_123"}), "file_id"),
    ] {
        let body = json!({"prompt": "p", "input_reference": reference});
        let (status, video) = create(&sim, body).await;
        assert_eq!(status, StatusCode::OK, "{reference}: {video}");
        let seen = sim.stats().last_reference.unwrap();
        assert_eq!(seen.how, how, "{reference}");
        if how == "data_url" {
            assert_eq!(seen.sha256, Some(sha256(&image)));
        }
    }
    let wrong_size = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png(1280, 720))
    );
    for reference in [
        json!(wrong_size),
        json!("data:image/png;base64,%%%"),
        json!("/tmp/a.png"),
        json!(7),
    ] {
        let body = json!({"prompt": "p", "input_reference": reference});
        let (status, answer) = create(&sim, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reference}");
        assert_eq!(answer["error"]["param"], "input_reference", "{answer}");
    }
    assert_eq!(sim.stats().reference_creates, 5);
}
