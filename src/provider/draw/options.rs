//! The draw dialect's own settings: which result call to use (`--result-path`) and the
//! size of a segment that sets none (`--draw-size`).

/// `--result-path`: which call says where a task stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultPath {
    /// `/v1/draw/result`, and `/v1/video/result` where that one is not served (HTTP 404).
    #[default]
    Auto,
    /// `POST /v1/draw/result`, as GrsAI documents it.
    Draw,
    /// `POST /v1/video/result`, as some deployments and forks serve it.
    Video,
}

impl ResultPath {
    pub(super) fn path(self) -> &'static str {
        match self {
            ResultPath::Video => "/v1/video/result",
            ResultPath::Draw | ResultPath::Auto => "/v1/draw/result",
        }
    }

    pub(super) fn from_code(code: u8) -> ResultPath {
        match code {
            1 => ResultPath::Draw,
            2 => ResultPath::Video,
            _ => ResultPath::Auto,
        }
    }

    pub(super) fn code(self) -> u8 {
        match self {
            ResultPath::Auto => 0,
            ResultPath::Draw => 1,
            ResultPath::Video => 2,
        }
    }
}

/// `--draw-size`: the size of a segment that sets none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DrawSize {
    /// 720p.
    #[default]
    Small,
    /// Larger than 720p, at the large price.
    Large,
}

impl DrawSize {
    pub fn as_str(self) -> &'static str {
        match self {
            DrawSize::Small => "small",
            DrawSize::Large => "large",
        }
    }
}
