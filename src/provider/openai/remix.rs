//! What a remix sends instead of a create: `POST /videos/{target}/remix` with the JSON
//! body `{"prompt": …}` (JSON whatever `--request-format` says: the endpoint takes
//! nothing else, and no image). The video keeps its source's model, size and length; the
//! job is priced by the segment's own values, which validation checks like any other.
//!
//! The target goes into the request path, so it is checked as a task id is and must need
//! no escaping there: an id that could change the path is refused before anything is
//! sent. A take whose id the engine has not filled in never reaches here either.

use serde_json::{Value, json};

use crate::provider::ProviderError;
use crate::provider::untrusted::{Redactor, path_segment};
use crate::storyboard::{RemixOf, Segment};

/// A remix's request.
#[derive(Debug, Clone, PartialEq)]
pub struct Remix {
    /// The video remixed, as it goes into the path.
    pub target: String,
    pub prompt: String,
}

impl Remix {
    /// The remix `segment` asks for (`None`: it is a plain create), or why it cannot be
    /// sent.
    pub fn of(segment: &Segment, redact: &Redactor) -> Result<Option<Remix>, ProviderError> {
        let Some(remix_of) = &segment.remix_of else {
            return Ok(None);
        };
        let refused = |message: String| ProviderError::Rejected {
            message,
            request_id: None,
        };
        let Some(target) = remix_of.target() else {
            return Err(refused(unresolved(segment.index, remix_of)));
        };
        if segment.image_url.is_some() || segment.image_file.is_some() {
            return Err(refused(format!(
                "segment {} has both remix_of and image_url, but an openai remix takes no \
                 reference image; remove one of them",
                segment.index
            )));
        }
        let checked = redact
            .task_id(target)
            .and_then(|id| match path_segment(&id) == id {
                true => Ok(id),
                false => Err("it has characters that would change the request's path".into()),
            })
            .map_err(|why| {
                refused(format!(
                    "segment {}'s remix_of: the video id \"{}\" cannot be sent: {why}; \
                     write the provider's id for the video",
                    segment.index,
                    crate::ui::escaped(&redact.redact(target), 60)
                ))
            })?;
        Ok(Some(Remix {
            target: checked,
            prompt: segment.prompt.clone(),
        }))
    }

    /// The path under the API.
    pub fn path(&self) -> String {
        format!("/videos/{}/remix", self.target)
    }

    pub fn body(&self) -> Value {
        json!({ "prompt": self.prompt })
    }
}

/// A take whose provider id is not known: the engine resolves takes before submitting,
/// so this is a fault in the caller, reported rather than sent as a plain create.
fn unresolved(index: u32, remix_of: &RemixOf) -> String {
    let what = match remix_of {
        RemixOf::Take {
            segment, version, ..
        } => format!("segment {segment}'s version {version}"),
        RemixOf::Video(id) => format!("video {id}"),
    };
    format!(
        "segment {index} remixes {what}, whose video id is not known yet; it was not sent \
         (the source must finish first)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remixing(target: Option<&str>) -> Segment {
        Segment {
            remix_of: Some(match target {
                Some(id) => RemixOf::Video(id.to_string()),
                None => RemixOf::Take {
                    segment: 1,
                    version: 2,
                    source: "f".to_string(),
                    target: None,
                },
            }),
            ..Segment::example("the fox turns")
        }
    }

    #[test]
    fn a_remix_posts_the_prompt_alone_to_the_targets_remix_path() {
        let remix = Remix::of(&remixing(Some("video_68d7")), &Redactor::default())
            .unwrap()
            .unwrap();
        assert_eq!(remix.path(), "/videos/video_68d7/remix");
        assert_eq!(remix.body(), json!({"prompt": "the fox turns"}));
        let take = Segment {
            remix_of: Some(RemixOf::Take {
                segment: 1,
                version: 1,
                source: "f".to_string(),
                target: Some("video_9".to_string()),
            }),
            ..remixing(None)
        };
        let remix = Remix::of(&take, &Redactor::default()).unwrap().unwrap();
        assert_eq!(remix.path(), "/videos/video_9/remix");
        let plain = Segment::example("plain");
        assert_eq!(Remix::of(&plain, &Redactor::default()).unwrap(), None);
    }

    #[test]
    fn a_target_that_could_change_the_path_is_refused_naming_the_segment() {
        let secret = "sk-very-secret-key-0123456789";
        let redact = Redactor::new([secret.to_string()]);
        for bad in [
            "..",
            "a/b",
            "../../files",
            "v?x=1",
            "v#frag",
            "v%2F",
            "v 1",
            "v\u{1b}[2J",
            &format!("video_{secret}"),
        ] {
            let refused = Remix::of(&remixing(Some(bad)), &redact).unwrap_err();
            assert!(
                matches!(&refused, ProviderError::Rejected { message, .. }
                    if message.starts_with("segment 1's remix_of:") && !message.contains(secret)),
                "{bad:?}: {refused:?}"
            );
        }
    }

    #[test]
    fn an_unresolved_take_or_an_image_is_refused_before_sending() {
        let unresolved = Remix::of(&remixing(None), &Redactor::default()).unwrap_err();
        assert!(
            matches!(&unresolved, ProviderError::Rejected { message, .. }
                if message.contains("segment 1 remixes segment 1's version 2")),
            "{unresolved:?}"
        );
        let with_image = Segment {
            image_url: Some("https://example.com/a.png".to_string()),
            ..remixing(Some("video_1"))
        };
        let refused = Remix::of(&with_image, &Redactor::default()).unwrap_err();
        assert!(
            matches!(&refused, ProviderError::Rejected { message, .. }
                if message.contains("remix_of") && message.contains("image_url")),
            "{refused:?}"
        );
    }
}
