//! `--provider`: which API a run talks to, and what each one's name, address and
//! capabilities are.

/// Which API the batch talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    /// The Sora.hk task API (SORA_API_KEY)
    #[value(name = "sora-hk")]
    SoraHk,
    /// The OpenAI Videos API, or a gateway or Azure OpenAI serving its shape (OPENAI_API_KEY)
    #[value(name = "openai")]
    OpenAi,
    /// The Sora2 "draw" API of GrsAI and its resellers, as Sora2 Web Studio calls it
    /// (DRAW_API_KEY)
    #[value(name = "draw")]
    Draw,
    /// A chat-completions gateway selling Sora 2 (sora2api and its forks; CHAT_API_KEY,
    /// --base-url required)
    #[value(name = "chat")]
    Chat,
    /// A simulator started inside this process: the whole pipeline, offline and free
    Simulator,
}

impl ProviderKind {
    /// What the journal and sidecars call this provider.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::SoraHk => crate::provider::sora_hk::NAME,
            ProviderKind::OpenAi => crate::provider::openai::NAME,
            ProviderKind::Draw => crate::provider::draw::NAME,
            ProviderKind::Chat => crate::provider::chat::NAME,
            ProviderKind::Simulator => crate::provider::sora_hk::SIMULATOR_NAME,
        }
    }

    /// What this provider can do, known without a connection (a dry run without a key
    /// still validates and prices with it). The simulator stands in for Sora.hk.
    pub fn capabilities(self) -> &'static crate::provider::Capabilities {
        match self {
            ProviderKind::SoraHk | ProviderKind::Simulator => {
                &crate::provider::sora_hk::CAPABILITIES
            }
            ProviderKind::OpenAi => &crate::provider::openai::CAPABILITIES,
            ProviderKind::Draw => &crate::provider::draw::CAPABILITIES,
            ProviderKind::Chat => &crate::provider::chat::CAPABILITIES,
        }
    }

    /// The name `--provider` takes.
    pub fn name_as_typed(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_default()
    }

    /// The API's address unless `--base-url` says another.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::SoraHk | ProviderKind::Simulator => {
                crate::provider::sora_hk::DEFAULT_BASE_URL
            }
            ProviderKind::OpenAi => crate::provider::openai::DEFAULT_BASE_URL,
            // Its first host under the default --host-mode auto (see `draw::Hosts`).
            ProviderKind::Draw => crate::provider::draw::DOMESTIC_URL,
            // None in truth: `connect` refuses to start without --base-url.
            ProviderKind::Chat => "http://localhost/v1",
        }
    }
}
