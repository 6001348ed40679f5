//! `igl completions` and `igl man`: shell completions and manual pages, generated from the same
//! clap definitions that parse the command line, so they cannot fall out of step with it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Command};

use crate::{Outcome, out};

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    shell: clap_complete::Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write `igl.1` and one page per subcommand (`igl-review.1`, `igl-review-open.1`, ...) into
    /// this directory, instead of `igl.1` to standard output.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script for a shell.
pub fn completions(a: CompletionsArgs, mut cmd: Command) -> Result<Outcome> {
    let mut o = out::stdout();
    clap_complete::generate(a.shell, &mut cmd, "igl", &mut o);
    o.flush()?;
    Ok(Outcome::Ok)
}

/// Writes the manual pages.
pub fn man(a: ManArgs, cmd: Command) -> Result<Outcome> {
    let cmd = cmd.name("igl");
    match a.dir {
        None => {
            let mut o = out::stdout();
            clap_mangen::Man::new(cmd).render(&mut o)?;
            o.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("writing the pages to {}", dir.display()))?;
            let n = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
                .count();
            eprintln!(
                "{n} manual pages in {} (read one with `man {}/igl.1`)",
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(Outcome::Ok)
}
