//! The simulator's two hosts, as the draw API has them: the main port is the "overseas"
//! host and a second listener (`--domestic-port`) the "domestic" one, both serving the
//! same router over the same world. Either can be down (`--draw-down`, or
//! `RunningSim::set_host_down` at run time): `refuse` closes its listener, so connections
//! are refused (and reopens it on the same port when the host comes back); `hang` keeps
//! accepting and never answers. Draw calls and creates are counted per host on arrival.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::draw::{CREATE_PATH, DownHow, DrawSettings, Host};
use super::faults::{Connection, KillableListener, Shape};
use super::world::World;

/// Which hosts are down, and how; flipped at run time, watched by the listeners.
pub struct Switch(watch::Sender<Downs>);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Downs {
    overseas: Option<DownHow>,
    domestic: Option<DownHow>,
}

impl Downs {
    fn get(&self, host: Host) -> Option<DownHow> {
        match host {
            Host::Overseas => self.overseas,
            Host::Domestic => self.domestic,
        }
    }
}

impl Switch {
    pub fn new(settings: &DrawSettings) -> Self {
        let switch = Switch(watch::Sender::new(Downs::default()));
        if let Some(host) = settings.draw_down {
            switch.set(host, Some(settings.draw_down_how));
        }
        switch
    }

    /// Takes `host` down (`Some`) or brings it back (`None`).
    pub fn set(&self, host: Host, down: Option<DownHow>) {
        self.0.send_modify(|downs| match host {
            Host::Overseas => downs.overseas = down,
            Host::Domestic => downs.domestic = down,
        });
    }

    pub fn state(&self, host: Host) -> Option<DownHow> {
        self.0.borrow().get(host)
    }
}

/// Serves `app` as `host` from `listener` until `stopping`, closing the listener while the
/// host refuses connections and binding its port again when it comes back.
pub fn keep(
    host: Host,
    listener: KillableListener,
    world: Arc<World>,
    app: Router,
    stopping: CancellationToken,
) -> std::io::Result<()> {
    let port = axum::serve::Listener::local_addr(&listener)?.peer.port();
    let app = app.layer(axum::middleware::from_fn_with_state(
        (world.clone(), host),
        gate,
    ));
    tokio::spawn(async move {
        let mut listener = Some(listener);
        let mut downs = world.hosts.0.subscribe();
        loop {
            if downs.borrow_and_update().get(host) == Some(DownHow::Refuse) {
                listener = None;
                if !changed(&mut downs, &stopping).await {
                    return;
                }
                continue;
            }
            let bound = match listener.take() {
                Some(bound) => bound,
                None => match rebind(port, &stopping).await {
                    Some(bound) => bound,
                    None => return,
                },
            };
            let service = app
                .clone()
                .into_make_service_with_connect_info::<Connection>();
            let until_refused = refused(downs.clone(), host, stopping.clone());
            let server = axum::serve(bound, service).with_graceful_shutdown(async move {
                until_refused.await;
            });
            tokio::spawn(async move {
                if let Err(err) = server.await {
                    tracing::error!("the simulator's {} host stopped: {err}", host.name());
                }
            });
            if !refused(downs.clone(), host, stopping.clone()).await {
                return;
            }
        }
    });
    Ok(())
}

/// Waits until `host` refuses connections (true) or the simulator stops (false).
async fn refused(
    mut downs: watch::Receiver<Downs>,
    host: Host,
    stopping: CancellationToken,
) -> bool {
    loop {
        if downs.borrow_and_update().get(host) == Some(DownHow::Refuse) {
            return true;
        }
        if !changed(&mut downs, &stopping).await {
            return false;
        }
    }
}

/// Waits for the next flip of the switch; false when the simulator stops first.
async fn changed(downs: &mut watch::Receiver<Downs>, stopping: &CancellationToken) -> bool {
    tokio::select! {
        _ = stopping.cancelled() => false,
        changed = downs.changed() => changed.is_ok(),
    }
}

/// Binds `port` again; the old listener may take a moment to close.
async fn rebind(port: u16, stopping: &CancellationToken) -> Option<KillableListener> {
    loop {
        match KillableListener::bind(port).await {
            Ok(listener) => return Some(listener),
            Err(err) => tracing::debug!("port {port} not free again yet: {err}"),
        }
        tokio::select! {
            _ = stopping.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
}

/// Middleware on each host: counts draw calls per host, and hangs or drops them while the
/// host is down.
async fn gate(
    State((world, host)): State<(Arc<World>, Host)>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if Shape::of(path) == Shape::Draw {
        let create = path == CREATE_PATH;
        world.count(|stats| {
            *stats
                .draw
                .calls_by_host
                .entry(host.name().into())
                .or_default() += 1;
            if create {
                *stats
                    .draw
                    .creates_by_host
                    .entry(host.name().into())
                    .or_default() += 1;
            }
        });
    }
    match world.hosts.state(host) {
        None => next.run(request).await,
        Some(DownHow::Hang) => {
            world.count(|stats| stats.draw.hung_calls += 1);
            std::future::pending::<()>().await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // A call that came on a connection opened before the host went down.
        Some(DownHow::Refuse) => {
            connection.kill();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
