//! What a draw create sends (`POST /v1/video/sora-video`): a segment as the API's fields.
//! `webHook: "-1"` makes the API answer with the task's id at once instead of streaming
//! the whole generation; `aspectRatio` comes from `resolution`, `size` from the segment
//! (filled with `--draw-size` when it sets none), `url` is the reference image's public
//! link (a file on disk goes through `--image-host-cmd` first, as for sora-hk),
//! `remixTargetId` the video a remix continues (once known), `characters` as written.

use serde_json::{Value, json};

use crate::provider::ProviderError;
use crate::storyboard::{RemixOf, Segment};

/// The API's one model.
pub const MODEL: &str = "sora-2";

/// The size a segment without one gets when nothing else says (`--draw-size`'s default).
pub const DEFAULT_SIZE: &str = "small";

/// The create's JSON body for `segment`, or why it cannot be sent.
pub fn body(segment: &Segment) -> Result<Value, ProviderError> {
    if segment.image_url.is_none()
        && let Some(image) = &segment.image_file
    {
        // Validation refuses files without --image-host-cmd; this is the last guard.
        return Err(ProviderError::Rejected {
            message: format!(
                "segment {} has the image file \"{}\", but the draw API takes only public \
                 links; pass --image-host-cmd CMD, or upload it and write its link",
                segment.index,
                crate::ui::escaped(&image.written, 100)
            ),
            request_id: None,
        });
    }
    let mut body = json!({
        "model": segment.model.as_deref().unwrap_or(MODEL),
        "prompt": segment.prompt,
        "aspectRatio": segment.resolution.ratio(),
        "duration": segment.duration_seconds,
        "size": segment.size.as_deref().unwrap_or(DEFAULT_SIZE),
        "webHook": "-1",
        "shutProgress": false,
    });
    if let Some(url) = &segment.image_url {
        body["url"] = json!(url);
    }
    if let Some(target) = segment.remix_of.as_ref().and_then(RemixOf::target) {
        body["remixTargetId"] = json!(target);
    }
    if !segment.characters.is_empty() {
        body["characters"] = json!(segment.characters);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storyboard::{Character, Resolution};

    #[test]
    fn a_segment_becomes_the_draw_fields_with_an_immediate_answer() {
        let segment = Segment {
            resolution: Resolution::Vertical,
            duration_seconds: 15,
            ..Segment::example("a red fox")
        };
        assert_eq!(
            body(&segment).unwrap(),
            json!({"model": "sora-2", "prompt": "a red fox", "aspectRatio": "9:16",
                "duration": 15, "size": "small", "webHook": "-1", "shutProgress": false})
        );
    }

    #[test]
    fn a_link_a_remix_target_and_characters_are_sent_when_there_are_some() {
        let segment = Segment {
            size: Some("large".to_string()),
            image_url: Some("https://example.com/a.png".to_string()),
            remix_of: Some(RemixOf::Video("s_0123".to_string())),
            characters: vec![Character {
                url: "https://example.com/c.mp4".to_string(),
                timestamps: "0,3".to_string(),
            }],
            ..Segment::example("a red fox")
        };
        let sent = body(&segment).unwrap();
        assert_eq!(sent["size"], "large");
        assert_eq!(sent["url"], "https://example.com/a.png");
        assert_eq!(sent["remixTargetId"], "s_0123");
        assert_eq!(
            sent["characters"],
            json!([{"url": "https://example.com/c.mp4", "timestamps": "0,3"}])
        );
        // A take whose video is not known yet names no target.
        let pending = Segment {
            remix_of: Some(RemixOf::Take {
                segment: 1,
                version: 1,
                source: "f".to_string(),
                target: None,
            }),
            ..Segment::example("a red fox")
        };
        assert!(body(&pending).unwrap().get("remixTargetId").is_none());
    }
}
