//! Connecting to the provider: its API key or keys read (`keys`), a client per key for
//! the chosen dialect, each redacting every key of the run from what the provider says;
//! or the built-in simulator, started for `--provider simulator`.

use std::sync::Arc;

use super::AppError;
use crate::cli::{ProviderKind, RunArgs};
use crate::config::ApiKey;
use crate::engine::KeyClient;
use crate::i18n::Message;
use crate::keys::{KeySet, KeySource};
use crate::provider::{
    self, Provider, Redactor, chat::Chat, draw::Draw, openai::OpenAi, sora_hk::SoraHk,
};
use crate::sim;

/// The provider a run talks to (a client per API key), and the in-process simulator
/// behind it when `--provider simulator` asked for one (it lives as long as this value).
pub(super) struct Connection {
    /// Empty without an API key: a dry run still validates and prices.
    pub clients: Vec<KeyClient>,
    /// The API's address, for messages.
    pub shown_url: Message,
    _simulator: Option<sim::RunningSim>,
}

impl Connection {
    /// The first key's client: what the dry run asks for prices and the balance.
    pub fn first(&self) -> Option<&dyn Provider> {
        self.clients.first().map(|client| &*client.provider)
    }
}

/// Generation times of the offline demo: short enough to finish in seconds.
const DEMO_GEN_SECONDS: sim::GenSeconds = sim::GenSeconds(2.0, 5.0);

/// A client for each key, `make` building one for a key.
fn clients(keys: Option<&KeySet>, make: impl Fn(ApiKey) -> Arc<dyn Provider>) -> Vec<KeyClient> {
    let keys = keys.map(KeySet::keys).unwrap_or_default();
    keys.iter()
        .map(|key| KeyClient {
            label: key.label.clone(),
            hash: key.hash(),
            weight: key.weight,
            max_rpm: key.max_rpm,
            provider: make(key.secret.clone()),
        })
        .collect()
}

/// The secrets every client redacts from what the provider says: all the run's keys (an
/// echo may come back on any of them), and the passwords `Redactor::for_run` adds.
fn redactor(keys: Option<&KeySet>, base: &url::Url) -> Redactor {
    let secrets = keys
        .into_iter()
        .flat_map(|set| set.iter().map(|key| &key.secret));
    Redactor::for_run(secrets, base)
}

pub(super) async fn connect(args: &RunArgs) -> Result<Connection, AppError> {
    crate::provider::proxy::check()?;
    let http = provider::http_client(args.request_timeout);
    if args.provider == ProviderKind::Simulator {
        let settings = sim::SimSettings {
            gen_seconds: DEMO_GEN_SECONDS,
            ..sim::SimSettings::default()
        };
        let simulator = sim::start(settings)
            .await
            .map_err(|err| AppError::Simulator(Message::new("app.simulator").with("err", err)))?;
        let base = url::Url::parse(&simulator.base_url()).expect("the simulator's URL parses");
        let keys = KeySet::one(ApiKey::new(sim::DEFAULT_KEY), KeySource::Simulator);
        let redact = redactor(Some(&keys), &base);
        let clients = clients(Some(&keys), |key| {
            let client = SoraHk::new(
                http.clone(),
                &base,
                key,
                redact.clone(),
                args.request_timeout,
            );
            Arc::new(client.simulated())
        });
        return Ok(Connection {
            clients,
            shown_url: Message::new("events.simulator_url").with("url", simulator.base_url()),
            _simulator: Some(simulator),
        });
    }
    let keys = KeySet::load(
        args.provider.capabilities().key_variables(),
        args.keys_file.as_deref(),
    )?;
    if args.provider == ProviderKind::Draw {
        return connect_draw(args, http, keys.as_ref());
    }
    if args.provider == ProviderKind::Chat {
        return connect_chat(args, keys.as_ref());
    }
    let base = args.api_url();
    let redact = redactor(keys.as_ref(), &base);
    let shown_url = Message::plain(redact.redact(base.as_str()));
    let deadline = args.request_timeout;
    let clients = clients(keys.as_ref(), |key| match args.provider {
        ProviderKind::OpenAi => {
            let options = args.openai_options();
            let client = OpenAi::new(http.clone(), &base, key, redact.clone(), deadline, options);
            Arc::new(client) as Arc<dyn Provider>
        }
        ProviderKind::SoraHk
        | ProviderKind::Simulator
        | ProviderKind::Draw
        | ProviderKind::Chat => Arc::new(SoraHk::new(
            http.clone(),
            &base,
            key,
            redact.clone(),
            deadline,
        )),
    });
    Ok(Connection {
        clients,
        shown_url,
        _simulator: None,
    })
}

/// The draw API at the hosts `--host-mode`, `--base-url` and `--fallback-url` name.
fn connect_draw(
    args: &RunArgs,
    http: reqwest::Client,
    keys: Option<&KeySet>,
) -> Result<Connection, AppError> {
    let hosts = args.draw_hosts().map_err(AppError::Settings)?;
    let first = url::Url::parse(hosts.first()).expect("a checked host parses");
    let redact = redactor(keys, &first);
    let shown_url = Message::plain(redact.redact(&hosts.shown()));
    let clients = clients(keys, |key| {
        let path = args.result_path.unwrap_or_default();
        let deadline = args.request_timeout;
        let draw = Draw::new(
            http.clone(),
            hosts.clone(),
            key,
            redact.clone(),
            deadline,
            path,
        );
        Arc::new(draw) as Arc<dyn Provider>
    });
    Ok(Connection {
        clients,
        shown_url,
        _simulator: None,
    })
}

/// A chat gateway at `--base-url` (there is no public default), its streams read with a
/// long idle timeout and no total one.
fn connect_chat(args: &RunArgs, keys: Option<&KeySet>) -> Result<Connection, AppError> {
    let Some(base) = args.base_url.clone() else {
        // A dry run needs no gateway: it has no prices or balance to ask for.
        if args.dry_run {
            return Ok(Connection {
                clients: Vec::new(),
                shown_url: Message::new("events.no_base_url"),
                _simulator: None,
            });
        }
        return Err(AppError::Settings(Message::new("app.chat_needs_base_url")));
    };
    let redact = redactor(keys, &base);
    let shown_url = Message::plain(redact.redact(base.as_str()));
    let idle = provider::chat::IDLE_TIMEOUT.max(args.request_timeout);
    let http = provider::http_client(idle);
    let clients = clients(keys, |key| {
        let template = args
            .chat_model_template
            .clone()
            .unwrap_or_else(|| provider::chat::DEFAULT_MODEL_TEMPLATE.to_string());
        let options = provider::chat::Options {
            template,
            generation_ids: args.chat_generation_ids,
        };
        let chat = Chat::new(
            http.clone(),
            &base,
            key,
            redact.clone(),
            args.request_timeout,
            options,
        );
        Arc::new(chat) as Arc<dyn Provider>
    });
    Ok(Connection {
        clients,
        shown_url,
        _simulator: None,
    })
}
