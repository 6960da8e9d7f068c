//! `--generate KIND`: shell completions and the man page, written from the same clap
//! definitions `--help` shows (like ripgrep's `--generate`), so they never drift apart.

use clap_complete::Shell;

/// What `--generate` writes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page (roff): `sora-batch --generate man > sora-batch.1`
    Man,
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
    CompleteElvish,
}

impl Generate {
    /// The text of `kind`.
    pub fn render(self) -> Vec<u8> {
        let mut command = super::command();
        let mut out = Vec::new();
        let shell = match self {
            Generate::Man => {
                // Writing into memory cannot fail.
                let _ = clap_mangen::Man::new(command).render(&mut out);
                return out;
            }
            Generate::CompleteBash => Shell::Bash,
            Generate::CompleteZsh => Shell::Zsh,
            Generate::CompleteFish => Shell::Fish,
            Generate::CompletePowershell => Shell::PowerShell,
            Generate::CompleteElvish => Shell::Elvish,
        };
        clap_complete::generate(shell, &mut command, "sora-batch", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_and_the_man_page_know_every_flag() {
        let man = String::from_utf8(Generate::Man.render()).unwrap();
        assert!(man.contains(".TH sora-batch"), "{man}");
        assert!(man.contains("give\\-up\\-after"), "{man}");
        let bash = String::from_utf8(Generate::CompleteBash.render()).unwrap();
        assert!(bash.contains("--give-up-after") && bash.contains("--max-video-bytes"));
        let fish = String::from_utf8(Generate::CompleteFish.render()).unwrap();
        assert!(fish.contains("-l dry-run"), "{fish}");
    }
}
