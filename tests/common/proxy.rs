//! Small proxies for the tests, on loopback threads: an HTTP proxy and a SOCKS5 proxy, both
//! wanting a user name and password, both recording what they forwarded. One request per
//! connection (the HTTP proxy asks for `Connection: close`), which is all a test needs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine;

/// A running proxy: where it listens and what it saw.
pub struct Proxy {
    pub port: u16,
    /// The first line of each HTTP request forwarded (`GET http://…/path HTTP/1.1`), or
    /// `CONNECT host:port` for each SOCKS5 connection.
    pub forwarded: Arc<Mutex<Vec<String>>>,
    /// Requests turned away for missing or wrong credentials.
    pub refused: Arc<Mutex<usize>>,
}

impl Proxy {
    pub fn forwarded(&self) -> Vec<String> {
        self.forwarded.lock().unwrap().clone()
    }

    pub fn refused(&self) -> usize {
        *self.refused.lock().unwrap()
    }
}

/// An HTTP proxy wanting Basic `user:password`. A request without them gets 407, whose
/// body echoes the credentials it got, as a careless proxy might.
pub fn http(user: &str, password: &str) -> Proxy {
    let wanted = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    serve(move |client, proxy| forward_http(client, &wanted, proxy))
}

/// A SOCKS5 proxy wanting `user:password` (RFC 1929).
pub fn socks5(user: &str, password: &str) -> Proxy {
    let (user, password) = (user.to_string(), password.to_string());
    serve(move |client, proxy| forward_socks5(client, &user, &password, proxy))
}

type Seen = (Arc<Mutex<Vec<String>>>, Arc<Mutex<usize>>);

fn serve(handle: impl Fn(TcpStream, &Seen) + Send + Sync + 'static) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Default::default();
    let proxy = Proxy {
        port,
        forwarded: seen.0.clone(),
        refused: seen.1.clone(),
    };
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (handle, seen) = (handle.clone(), seen.clone());
            thread::spawn(move || handle(client, &seen));
        }
    });
    proxy
}

fn forward_http(client: TcpStream, wanted: &str, (forwarded, refused): &Seen) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let Some(request_line) = head.first().cloned() else {
        return;
    };
    let authorized = head.iter().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("proxy-authorization:") && line.ends_with(&format!("Basic {wanted}"))
    });
    let mut client = client;
    if !authorized {
        *refused.lock().unwrap() += 1;
        let echo = head
            .iter()
            .find(|line| {
                line.to_ascii_lowercase()
                    .starts_with("proxy-authorization:")
            })
            .cloned()
            .unwrap_or_default();
        let body = format!("proxy authentication required; you sent: {echo}");
        let _ = write!(
            client,
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    forwarded.lock().unwrap().push(request_line.clone());
    let mut parts = request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let url = url::Url::parse(target).expect("an absolute-form request");
    let address = format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    );
    let mut upstream = TcpStream::connect(address).unwrap();
    let path = &target[url.origin().ascii_serialization().len()..];
    let mut out = format!("{method} {path} {version}\r\n");
    for line in &head[1..] {
        let lower = line.to_ascii_lowercase();
        if !lower.starts_with("proxy-") && !lower.starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).unwrap();
    // What the client already sent past the head (the start of a body) is in the reader.
    let buffered = reader.buffer().to_vec();
    upstream.write_all(&buffered).unwrap();
    relay(reader.into_inner(), client, upstream);
}

fn forward_socks5(mut client: TcpStream, user: &str, password: &str, (forwarded, refused): &Seen) {
    let mut byte = [0u8; 1];
    let mut greeting = [0u8; 2];
    if client.read_exact(&mut greeting).is_err() || greeting[0] != 5 {
        return;
    }
    let mut methods = vec![0u8; greeting[1] as usize];
    client.read_exact(&mut methods).unwrap();
    if !methods.contains(&2) {
        *refused.lock().unwrap() += 1;
        let _ = client.write_all(&[5, 0xff]);
        return;
    }
    client.write_all(&[5, 2]).unwrap();
    // RFC 1929: version, user, password.
    client.read_exact(&mut byte).unwrap();
    let read_field = |client: &mut TcpStream| {
        let mut len = [0u8; 1];
        client.read_exact(&mut len).unwrap();
        let mut field = vec![0u8; len[0] as usize];
        client.read_exact(&mut field).unwrap();
        String::from_utf8(field).unwrap()
    };
    let (got_user, got_password) = (read_field(&mut client), read_field(&mut client));
    if got_user != user || got_password != password {
        *refused.lock().unwrap() += 1;
        let _ = client.write_all(&[1, 1]);
        return;
    }
    client.write_all(&[1, 0]).unwrap();
    let mut request = [0u8; 4];
    client.read_exact(&mut request).unwrap();
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).unwrap();
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => read_field(&mut client),
        _ => return,
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).unwrap();
    let address = format!("{host}:{}", u16::from_be_bytes(port));
    forwarded.lock().unwrap().push(format!("CONNECT {address}"));
    let upstream = TcpStream::connect(&address).unwrap();
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).unwrap();
    relay(client.try_clone().unwrap(), client, upstream);
}

/// Copies both ways until the upstream side ends, then closes the client.
fn relay(mut from_client: impl Read + Send + 'static, mut client: TcpStream, upstream: TcpStream) {
    let mut to_upstream = upstream.try_clone().unwrap();
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_upstream);
    });
    let mut from_upstream = upstream;
    let _ = std::io::copy(&mut from_upstream, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = from_upstream.shutdown(Shutdown::Both);
}
