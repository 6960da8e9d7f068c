//! The open streams of this process: one background task per accepted create reads its
//! Server-Sent Events (`eventsource-stream`) into a shared book, where `status` looks the
//! job up. A stream's bytes are capped, so a gateway that never stops talking cannot fill
//! the memory; silence is the HTTP client's idle timeout, and there is no total one.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use super::reading::{self, Said};

/// The most one stream may send: progress every 30 s for an hour is a few hundred KiB.
pub const MAX_STREAM_BYTES: usize = 8 * 1024 * 1024;

/// Where one job's stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Running {
        progress: Option<u8>,
    },
    Done {
        url: String,
    },
    Failed {
        message: String,
    },
    /// The stream ended or broke without a result: the job may be billed, its video is
    /// nowhere this process can find.
    Lost {
        why: String,
    },
}

impl Standing {
    /// `self` after `said`; a settled job stays settled.
    fn after(self, said: Said) -> Standing {
        match (self, said) {
            (Standing::Running { .. }, Said::Progress(percent)) => Standing::Running {
                progress: Some(percent),
            },
            (Standing::Running { .. }, Said::Result(url)) => Standing::Done { url },
            (Standing::Running { .. }, Said::Failed(message)) => Standing::Failed { message },
            (standing, _) => standing,
        }
    }
}

/// The events of one answer, parsed as they arrive.
pub type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<StreamError>>> + Send>>;

/// Why a stream's bytes stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Broken(String),
    #[error("the stream sent more than {MAX_STREAM_BYTES} bytes")]
    TooLarge,
}

/// `response`'s body as events, its bytes capped; `describe` turns a transport error
/// into a message without the key.
pub fn events(
    response: reqwest::Response,
    describe: impl Fn(&reqwest::Error) -> String + Send + 'static,
) -> Events {
    let mut seen = 0usize;
    let bytes = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|err| StreamError::Broken(describe(&err)))?;
        seen += chunk.len();
        match seen > MAX_STREAM_BYTES {
            true => Err(StreamError::TooLarge),
            false => Ok(chunk),
        }
    });
    Box::pin(bytes.eventsource())
}

/// The shared book of this process's streams, by task id.
#[derive(Clone, Default)]
pub struct Book {
    streams: Arc<Mutex<HashMap<String, Standing>>>,
}

impl Book {
    pub fn get(&self, task_id: &str) -> Option<Standing> {
        self.lock().get(task_id).cloned()
    }

    fn set(&self, task_id: &str, standing: Standing) {
        self.lock().insert(task_id.to_string(), standing);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Standing>> {
        // A panic elsewhere leaves the map whole: each write is one insert.
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Books `task_id` as `first` says, and reads the rest of `events` into it in the
    /// background until a result, a failure, or the stream's end.
    pub fn follow(&self, task_id: String, first: Said, mut events: Events) {
        let standing = Standing::Running { progress: None }.after(first);
        self.set(&task_id, standing);
        let book = self.clone();
        tokio::spawn(async move {
            loop {
                let Some(standing) = book.get(&task_id) else {
                    return;
                };
                if !matches!(standing, Standing::Running { .. }) {
                    return;
                }
                let next = match events.next().await {
                    Some(Ok(event)) => standing.after(reading::read(&event.data)),
                    Some(Err(err)) => Standing::Lost {
                        why: format!("the stream broke off: {err}"),
                    },
                    None => Standing::Lost {
                        why: "the stream ended without a video link".to_string(),
                    },
                };
                book.set(&task_id, next);
            }
        });
    }
}
