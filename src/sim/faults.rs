//! Injected faults: server errors on demand (`--fault-rate`) and connections that die
//! before the answer leaves (resets, and the ambiguous create of `--ambiguous-rate`).
//!
//! Dropping a connection from inside a handler needs help from the transport: the
//! listener hands every connection a kill switch, which handlers reach through axum's
//! connect info; once flipped, every write fails and hyper closes the socket unanswered.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::world::World;

/// A loopback listener whose connections carry a kill switch.
pub struct KillableListener(TcpListener);

impl KillableListener {
    pub async fn bind(port: u16) -> io::Result<Self> {
        Ok(KillableListener(
            TcpListener::bind(("127.0.0.1", port)).await?,
        ))
    }
}

/// The connect info every request sees: who is calling and the switch that drops them.
#[derive(Clone, Debug)]
pub struct Connection {
    pub peer: SocketAddr,
    killed: Arc<AtomicBool>,
}

impl Connection {
    /// Drops the connection: nothing more is written, whatever the handler returns.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let killed = Arc::new(AtomicBool::new(false));
                    let connection = Connection {
                        peer,
                        killed: killed.clone(),
                    };
                    return (KillableStream { stream, killed }, connection);
                }
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Connection {
            peer: self.0.local_addr()?,
            killed: Arc::default(),
        })
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, KillableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

pub struct KillableStream {
    stream: TcpStream,
    killed: Arc<AtomicBool>,
}

impl KillableStream {
    fn check(&self) -> io::Result<()> {
        if self.killed.load(Ordering::SeqCst) {
            Err(io::ErrorKind::ConnectionReset.into())
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Middleware on the API routes: with probability `--fault-rate`, answer with one of the
/// failures real gateways produce instead of calling the handler.
pub async fn inject(
    State(world): State<Arc<World>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = if world.roll(world.settings.fault_rate) {
        world.count(|stats| stats.faults += 1);
        let echo = echoed(&world, request.headers(), "");
        let shape = Shape::of(request.uri().path());
        injected_fault(&world, &connection, &echo, shape)
    } else {
        next.run(request).await
    };
    let request_id = format!("sim-{:016x}", world.pick(usize::MAX));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    // The simulator's own clock (hyper would stamp the machine's): what a client measures
    // a skew from.
    let date = httpdate::fmt_http_date(world.system_now());
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

/// `--echo-key`: `message` as a careless API writes it, quoting the request's
/// Authorization (or `api-key`) header and carrying escape codes (set the terminal's title, clear the
/// screen, turn the text red). Without the knob, `message` as it is.
pub fn echoed(world: &World, headers: &HeaderMap, message: &str) -> String {
    if !world.settings.echo_key {
        return message.to_string();
    }
    let sent = |name| headers.get(name).and_then(|value| value.to_str().ok());
    let quoted = match (sent(header::AUTHORIZATION.as_str()), sent("api-key")) {
        (Some(authorization), _) => format!("Authorization: {authorization}"),
        // Azure's shape: the key in a header of its own.
        (None, Some(key)) => format!("api-key: {key}"),
        (None, None) => "Authorization: none".to_string(),
    };
    format!("{message} (you sent {quoted}) \x1b]0;owned\x07\x1b[2J\x1b[31m")
}

/// The error shape of the dialect a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"code", "message", "data"}`.
    SoraHk,
    /// `{"error": {message, type, param, code}}` (OpenAI, and chat gateways).
    OpenAi,
    /// `{"code", "msg", "data"}`.
    Draw,
}

impl Shape {
    pub fn of(path: &str) -> Shape {
        if ["/v1/videos", "/v1/chat/", "/v1/generation/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        {
            Shape::OpenAi
        } else if ["/v1/video/", "/v1/draw/", "/client/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        {
            Shape::Draw
        } else {
            Shape::SoraHk
        }
    }

    /// An error body in this shape; `code` is the OpenAI error code, or the envelope's.
    pub fn error(self, code: i64, openai_code: &str, message: &str) -> serde_json::Value {
        match self {
            Shape::OpenAi => {
                serde_json::json!({"error": {"message": message, "type": openai_code, "param": null, "code": openai_code}})
            }
            Shape::SoraHk => serde_json::json!({"code": code, "message": message, "data": null}),
            Shape::Draw => serde_json::json!({"code": code, "msg": message, "data": null}),
        }
    }
}

/// One injected failure; `echo` is added to the text of those that have one, and a 500
/// is in the dialect's error shape.
fn injected_fault(world: &World, connection: &Connection, echo: &str, shape: Shape) -> Response {
    match world.pick(4) {
        0 => bad_gateway_page(echo),
        1 => server_error(echo, shape),
        2 => unavailable(echo),
        _ => {
            connection.kill();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn bad_gateway_page(echo: &str) -> Response {
    let page = format!(
        "<html><head><title>502 Bad Gateway{echo}</title></head>\
        <body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    );
    let mut response = (StatusCode::BAD_GATEWAY, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn server_error(echo: &str, shape: Shape) -> Response {
    let message = format!("internal server error{echo}");
    let mut body = shape.error(500, "server_error", &message);
    if shape == Shape::OpenAi {
        body["error"]["code"] = serde_json::Value::Null;
    }
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

/// Marks a refusal with when to come back: whole seconds in `Retry-After`, as real APIs
/// send, and the exact wait in `retry-after-ms` (OpenAI's header), so benchmarks that
/// scale minutes down to milliseconds stay to scale.
pub fn set_retry_after(response: &mut Response, wait: std::time::Duration) {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let millis = wait.as_millis().max(1);
    let headers = response.headers_mut();
    for (name, value) in [
        ("retry-after", seconds.to_string()),
        ("retry-after-ms", millis.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

fn unavailable(echo: &str) -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("service temporarily unavailable{echo}"),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
