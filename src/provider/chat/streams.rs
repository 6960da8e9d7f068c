//! The open streams of this process: one background task per accepted create reads its
//! Server-Sent Events (`eventsource-stream`) into a shared book, where `status` looks the
//! job up. A stream's bytes are capped, so a gateway that never stops talking cannot fill
//! the memory; a stream without an event for the idle limit is lost. There is no total
//! limit here: the engine bounds a job with `--poll-timeout` and then lets its stream go
//! (`Book::let_go`), which ends the reader and closes the connection.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use tokio::task::AbortHandle;

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

/// The shared book of this process's streams, by task id, and the reader of each.
#[derive(Clone)]
pub struct Book {
    streams: Arc<Mutex<HashMap<String, Followed>>>,
    /// The longest wait for a stream's next event.
    idle: Duration,
}

/// One stream: where it stands, and its reader while it runs.
struct Followed {
    standing: Standing,
    reader: Option<AbortHandle>,
}

impl Book {
    /// A book whose streams end as lost after `idle` without an event.
    pub fn new(idle: Duration) -> Book {
        Book {
            streams: Arc::default(),
            idle,
        }
    }

    pub fn get(&self, task_id: &str) -> Option<Standing> {
        self.lock()
            .get(task_id)
            .map(|followed| followed.standing.clone())
    }

    /// Records where a stream stands; a settled one no longer has a reader.
    fn set(&self, task_id: &str, standing: Standing) {
        let mut streams = self.lock();
        let Some(followed) = streams.get_mut(task_id) else {
            return;
        };
        if !matches!(standing, Standing::Running { .. }) {
            followed.reader = None;
        }
        followed.standing = standing;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Followed>> {
        // A panic elsewhere leaves the map whole: each write is one assignment.
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Books `task_id` as `first` says, and reads the rest of `events` into it in the
    /// background until a result, a failure, the stream's end, or `idle` without an event
    /// (keep-alive comments are no event: a gateway that only says it is alive is not
    /// generating).
    pub fn follow(&self, task_id: String, first: Said, events: Events) {
        let standing = Standing::Running { progress: None }.after(first);
        let running = matches!(standing, Standing::Running { .. });
        let followed = Followed {
            standing,
            reader: None,
        };
        self.lock().insert(task_id.clone(), followed);
        if !running {
            return;
        }
        let reader = tokio::spawn(self.clone().read(task_id.clone(), events));
        if let Some(followed) = self.lock().get_mut(&task_id)
            && matches!(followed.standing, Standing::Running { .. })
        {
            followed.reader = Some(reader.abort_handle());
        }
    }

    async fn read(self, task_id: String, mut events: Events) {
        loop {
            let Some(standing) = self.get(&task_id) else {
                return;
            };
            if !matches!(standing, Standing::Running { .. }) {
                return;
            }
            let next = match tokio::time::timeout(self.idle, events.next()).await {
                Ok(Some(Ok(event))) => standing.after(reading::read(&event.data)),
                Ok(Some(Err(err))) => Standing::Lost {
                    why: format!("the stream broke off: {err}"),
                },
                Ok(None) => Standing::Lost {
                    why: "the stream ended without a video link".to_string(),
                },
                Err(_) => Standing::Lost {
                    why: format!(
                        "the stream sent no event for {}",
                        humantime::format_duration(self.idle)
                    ),
                },
            };
            self.set(&task_id, next);
        }
    }

    /// Stops following `task_id`: its reader ends and its stream is closed; the book
    /// forgets it.
    pub fn let_go(&self, task_id: &str) {
        let followed = self.lock().remove(task_id);
        if let Some(reader) = followed.and_then(|followed| followed.reader) {
            reader.abort();
        }
    }
}

#[cfg(test)]
mod tests;
