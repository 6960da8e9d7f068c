//! The OpenAI dialect driven directly against the simulator's OpenAI side over loopback
//! (`create`: the two request formats, the key header, every error class; `status`:
//! statuses, hints, failures, downloads; `list`: the cursor-paged list the lost-create
//! search reads; `remix`: remixes), and against a canned server where the request
//! itself is checked.

mod create;
mod list;
mod remix;
mod status;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::*;
use crate::provider::{TaskPhase, http_client};
use crate::sim::{self, GenSeconds, RunningSim, SimSettings};
use crate::storyboard::Resolution;

const KEY: &str = "sk-test-0pen41-d1s71nct1ve";

async fn start(settings: SimSettings) -> RunningSim {
    sim::start(SimSettings {
        api_keys: vec![crate::sim::SimKey::new(KEY)],
        seed: Some(12),
        ..settings
    })
    .await
    .expect("the simulator starts")
}

/// Tasks that take 0.2 s.
fn quick() -> SimSettings {
    SimSettings {
        gen_seconds: GenSeconds(0.2, 0.2),
        ..SimSettings::default()
    }
}

fn client_at(base: &str, options: Options) -> OpenAi {
    let base = Url::parse(base).unwrap();
    OpenAi::new(
        http_client(Duration::from_secs(5)),
        &base,
        ApiKey::new(KEY),
        Redactor::new([KEY.to_string()]),
        Duration::from_secs(5),
        options,
    )
}

fn client(sim: &RunningSim) -> OpenAi {
    client_at(&sim.base_url(), Options::default())
}

fn json_client(sim: &RunningSim) -> OpenAi {
    let options = Options {
        format: RequestFormat::Json,
        ..Options::default()
    };
    client_at(&sim.base_url(), options)
}

fn segment(prompt: &str, seconds: u32) -> Segment {
    Segment {
        duration_seconds: seconds,
        ..Segment::example(prompt)
    }
}

/// No key and no control character (an escape code from the provider) in `text`.
fn assert_clean(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(
        !text.chars().any(char::is_control),
        "a control character got through: {text:?}"
    );
}

/// Polls until the video leaves the queue and generation; its last status.
async fn final_status(client: &OpenAi, id: &str) -> TaskStatus {
    for _ in 0..400 {
        let status = client.video(id).await.expect("the status is read");
        if matches!(
            status.phase,
            TaskPhase::Completed { .. } | TaskPhase::Failed { .. }
        ) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("video {id} never finished");
}

/// A server that answers every request with `answer` and sends each request's head and
/// body (as text) down the channel: for what the simulator does not show.
async fn capturing(answer: &'static str) -> (String, mpsc::UnboundedReceiver<String>) {
    serve(move |_| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{answer}",
            answer.len()
        )
    })
    .await
}

/// A server that redirects every request to the same path under `to`.
async fn redirecting(to: &str) -> String {
    let to = to.to_string();
    let (base, _requests) = serve(move |request| {
        let path = request.split(' ').nth(1).unwrap_or("/");
        let path = path.strip_prefix("/v1").unwrap_or(path);
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}{path}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
    })
    .await;
    base
}

/// A loopback server at `http://…/v1` that answers each request with `reply(request)` and
/// sends the request (head and body, as text) down the channel.
async fn serve(
    reply: impl Fn(&str) -> String + Send + 'static,
) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen, requests) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0; 8192];
            // Enough for a create: read until the client has sent its body and pauses.
            while let Ok(Ok(read)) =
                tokio::time::timeout(Duration::from_millis(200), socket.read(&mut buffer)).await
            {
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
            }
            let request = String::from_utf8_lossy(&request).into_owned();
            let _ = socket.write_all(reply(&request).as_bytes()).await;
            let _ = socket.shutdown().await;
            let _ = seen.send(request);
        }
    });
    (format!("http://{addr}/v1"), requests)
}
