//! Usage errors found after clap's parse (a flag that does not apply to the chosen
//! provider or subcommand), and how every usage error is printed: escaped, naming the variable a bad
//! value came from.

use clap::ValueEnum;

use super::origin;
use super::{ProviderKind, RunArgs, command};
use crate::i18n::text;

/// A flag that applies to some providers only.
struct ProviderFlag {
    id: &'static str,
    flag: &'static str,
    variable: &'static str,
    applies: fn(ProviderKind) -> bool,
}

const PROVIDER_FLAGS: [ProviderFlag; 9] = [
    ProviderFlag {
        id: "auth_header",
        flag: "--auth-header",
        variable: "SORA_AUTH_HEADER",
        applies: is_openai,
    },
    ProviderFlag {
        id: "request_format",
        flag: "--request-format",
        variable: "SORA_REQUEST_FORMAT",
        applies: is_openai,
    },
    ProviderFlag {
        id: "host_mode",
        flag: "--host-mode",
        variable: "DRAW_HOST_MODE",
        applies: is_draw,
    },
    ProviderFlag {
        id: "fallback_url",
        flag: "--fallback-url",
        variable: "DRAW_FALLBACK_URL",
        applies: is_draw,
    },
    ProviderFlag {
        id: "result_path",
        flag: "--result-path",
        variable: "DRAW_RESULT_PATH",
        applies: is_draw,
    },
    ProviderFlag {
        id: "draw_size",
        flag: "--draw-size",
        variable: "DRAW_SIZE",
        applies: is_draw,
    },
    ProviderFlag {
        id: "chat_model_template",
        flag: "--chat-model-template",
        variable: "CHAT_MODEL_TEMPLATE",
        applies: is_chat,
    },
    ProviderFlag {
        id: "chat_generation_ids",
        flag: "--chat-generation-ids",
        variable: "CHAT_GENERATION_IDS",
        applies: is_chat,
    },
    ProviderFlag {
        id: "price_pro_large",
        flag: "--price-pro-large",
        variable: "SORA_PRICE_PRO_LARGE",
        applies: has_large_price,
    },
];

fn is_openai(kind: ProviderKind) -> bool {
    kind == ProviderKind::OpenAi
}

fn is_draw(kind: ProviderKind) -> bool {
    kind == ProviderKind::Draw
}

fn is_chat(kind: ProviderKind) -> bool {
    kind == ProviderKind::Chat
}

/// Its price model has a price for pro at the larger sizes.
fn has_large_price(kind: ProviderKind) -> bool {
    kind.capabilities()
        .price_model
        .prices()
        .pro_large_cents
        .is_some()
}

/// A flag given with a provider it does not apply to is a usage error, not a warning. The
/// OpenAI dialect's say how the key is sent or how creates look, and a run that quietly
/// did otherwise (a key meant for Azure's api-key header sent as Bearer) would fail late
/// or, worse, send what the user did not mean to; a price the provider's model has no
/// place for would leave an estimate the user believes follows it.
pub(super) fn check_provider_flags(matches: &clap::ArgMatches, run: &RunArgs) {
    for ProviderFlag {
        id,
        flag,
        variable,
        applies,
    } in PROVIDER_FLAGS
    {
        if applies(run.provider) {
            continue;
        }
        // A switch left off has a default value, not a given one.
        let Some(source) = matches
            .value_source(id)
            .filter(|source| *source != clap::parser::ValueSource::DefaultValue)
        else {
            continue;
        };
        let given = match source {
            clap::parser::ValueSource::EnvVariable => {
                text("cli.set_in_env", &[("variable", &variable)])
            }
            _ => flag.to_string(),
        };
        let providers = ProviderKind::value_variants()
            .iter()
            .filter(|kind| applies(**kind))
            .map(|kind| format!("--provider {}", kind.name_as_typed()))
            .collect::<Vec<_>>()
            .join(&text("cli.or", &[]));
        let message = text(
            "cli.provider_flag",
            &[
                ("given", &given),
                ("providers", &providers),
                ("provider", &run.provider.name_as_typed()),
            ],
        );
        exit_with(command().error(clap::error::ErrorKind::ArgumentConflict, message));
    }
}

/// The run's settings each subcommand takes: the schema is shaped by the provider's
/// lengths and sizes; the simulator serves both dialects, with options of its own.
fn taken_by(subcommand: &str) -> &'static [&'static str] {
    match subcommand {
        "schema" => &["provider", "durations"],
        "review" | "select" => &[
            "provider",
            "durations",
            "input_dir",
            "output_dir",
            "output_mode",
            "state_dir",
            "gen_count",
        ],
        "balance" => &[
            "provider",
            "keys_file",
            "base_url",
            "auth_header",
            "host_mode",
            "fallback_url",
            "request_timeout",
            "price_normal",
            "price_pro",
            "price_pro_large",
            "json",
        ],
        _ => &[],
    }
}

/// A run's flag typed with a subcommand that has no use for it is refused, wherever it
/// stands: clap lets the run's flags stand before a subcommand (so that `--provider openai
/// schema` works), and those the subcommand takes are global (so that `schema --provider
/// openai` works too, and `simulate --provider openai` would otherwise be taken silently).
/// Settings from the environment or `.env` are left alone: they are the run's.
pub(super) fn check_subcommand_flags(matches: &clap::ArgMatches) {
    let Some((name, _)) = matches.subcommand() else {
        return;
    };
    let taken = taken_by(name);
    let mut command = super::command();
    let refused = command.get_arguments().find(|arg| {
        let id = arg.get_id().as_str();
        !taken.contains(&id)
            && matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
    });
    let Some(arg) = refused else {
        return;
    };
    let shown = match arg.get_long() {
        Some(long) => format!("--{long}"),
        None => text("cli.input_argument", &[]),
    };
    let takes = match taken {
        [] => text("cli.takes_none", &[]),
        ids => {
            let flags: Vec<String> = ids.iter().map(|id| format!("--{id}")).collect();
            let flags = flags.join(&text("cli.and", &[]));
            text("cli.takes_only", &[("flags", &flags)])
        }
    };
    let message = text(
        "cli.subcommand_flag",
        &[("shown", &shown), ("name", &name), ("takes", &takes)],
    );
    exit_with(command.error(clap::error::ErrorKind::ArgumentConflict, message));
}

/// Prints clap's message and exits as clap would, with the text escaped: a value from the
/// environment or `.env`, or an argument typed, may hold a terminal escape or a line
/// break, and clap quotes it as it is. Help and version go out untouched.
pub(super) fn exit_with(err: clap::Error) -> ! {
    use crate::ui::{is_unprintable, printable};
    use clap::error::{ContextKind, ContextValue};
    if !err.use_stderr() {
        err.exit();
    }
    let context = |kind| err.get(kind);
    // clap's rendering drops the escape codes but keeps the line breaks: say it again.
    if let (Some(ContextValue::String(value)), Some(ContextValue::String(arg))) = (
        context(ContextKind::InvalidValue),
        context(ContextKind::InvalidArg),
    ) && value.chars().any(is_unprintable)
    {
        let value = printable(value);
        let refused = text("cli.invalid_value", &[("value", &value), ("arg", arg)]);
        eprintln!("{}{refused}", text("terminal.error", &[]));
        if let Some(ContextValue::Strings(valid)) = context(ContextKind::ValidValue) {
            eprintln!("  [possible values: {}]", valid.join(", "));
        }
        std::process::exit(err.exit_code());
    }
    // Any other text the user typed (an unknown argument or subcommand): said on one line.
    let typed = err.context().find_map(|(_, value)| match value {
        ContextValue::String(text) if text.chars().any(is_unprintable) => Some(text),
        _ => None,
    });
    if let Some(typed) = typed {
        let kind = err.kind().as_str().unwrap_or("invalid argument");
        eprintln!(
            "{}{kind}: \"{}\"",
            text("terminal.error", &[]),
            printable(typed)
        );
        eprintln!("\n{}", text("cli.more_help", &[]));
        std::process::exit(err.exit_code());
    }
    for line in err.render().to_string().lines() {
        eprintln!("{}", printable(clap_line(line)));
    }
    // A value the user never typed is fixed where it lives: name its variable.
    let command = super::command();
    if let Some(ContextValue::String(shown)) = context(ContextKind::InvalidArg)
        && let Some(arg) = origin::arg_named(&command, shown)
        && let Some(variable) = origin::variable_of(arg)
    {
        eprintln!("{}", text("cli.value_from", &[("variable", &variable)]));
    }
    std::process::exit(err.exit_code());
}

/// A line of clap's own error text with its fixed words (`error: `, `Usage:`, `For more
/// information…`) in the interface's language; the rest is as clap wrote it.
fn clap_line(line: &str) -> String {
    if let Some(rest) = line.strip_prefix("error: ") {
        return format!("{}{rest}", text("terminal.error", &[]));
    }
    if let Some(usage) = line.strip_prefix("Usage: ") {
        let heading = text("help.usage", &[]);
        return text(
            "help.usage_line",
            &[("heading", &heading), ("usage", &usage)],
        );
    }
    if line == "For more information, try '--help'." {
        return text("cli.more_help", &[]);
    }
    line.to_string()
}
