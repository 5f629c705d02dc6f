//! `urval completions` (a shell completion script on stdout) and the hidden
//! `urval reference` that writes the generated reference of every command: the Markdown
//! flags reference (`cli.md`) and the man pages (`man/urval*.1`), as committed in
//! `docs/reference/`.

use crate::format::Output;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `urval completions`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  urval completions bash > ~/.local/share/bash-completion/completions/urval
  urval completions zsh > ~/.zfunc/_urval
  urval completions fish > ~/.config/fish/completions/urval.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Arguments of the hidden `urval reference`.
#[derive(Debug, Args)]
pub struct ReferenceArgs {
    /// The directory to write `cli.md` and `man/` into (created if missing).
    #[arg(value_name = "DIR")]
    out: PathBuf,
}

/// Run `urval completions`.
pub fn completions(args: &CompletionsArgs) -> Result<Output> {
    // The completion generators list hidden subcommands too: complete the visible ones only.
    let full = crate::Cli::command();
    let mut cmd = clap::Command::new("urval")
        .version(full.get_version().map(str::to_string).unwrap_or_default())
        .propagate_version(true)
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "urval", &mut buf);
    Ok(Output::ok(String::from_utf8(buf)?))
}

/// Run `urval reference DIR`.
pub fn reference(args: &ReferenceArgs) -> Result<Output> {
    let files = generated();
    for (name, bytes) in &files {
        let path = args.out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Output::ok(format!(
        "wrote {} files to {}\n",
        files.len(),
        args.out.display()
    )))
}

/// Every generated reference file: `(path relative to docs/reference, bytes)`.
pub fn generated() -> Vec<(String, Vec<u8>)> {
    let mut root = crate::Cli::command();
    root.build();
    let mut files = vec![("cli.md".to_string(), markdown(&root).into_bytes())];
    man_pages(&root, "urval", &mut files);
    files
}

fn man_pages(cmd: &clap::Command, name: &str, files: &mut Vec<(String, Vec<u8>)>) {
    let page = cmd.clone().name(name.to_string());
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = clap_mangen::Man::new(page).render(&mut buf);
    files.push((format!("man/{name}.1"), buf));
    for sub in visible_subcommands(cmd) {
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files);
    }
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// One line of help text for a table cell.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn markdown(root: &clap::Command) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Command-line reference\n");
    let _ = writeln!(
        s,
        "Generated from the code: a test fails when this file is out of date, and \
         `URVAL_BLESS=1 cargo test -p urval --test reference_docs` regenerates it. Every \
         command prints the same with `--help`; `man urval-<command>` shows it once the \
         pages in `man/` are installed.\n"
    );
    for sub in visible_subcommands(root) {
        let _ = writeln!(s, "- [`urval {0}`](#urval-{0})", sub.get_name());
    }
    s.push('\n');
    command_section(&mut s, root, "urval");
    for sub in visible_subcommands(root) {
        command_section(&mut s, sub, &format!("urval {}", sub.get_name()));
    }
    s
}

fn command_section(s: &mut String, cmd: &clap::Command, path: &str) {
    let _ = writeln!(s, "## `{path}`\n");
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        let _ = writeln!(s, "{}\n", about.to_string().trim());
    }
    let positionals: Vec<&clap::Arg> = cmd.get_positionals().filter(|a| !a.is_hide_set()).collect();
    let mut usage = format!("{path} [OPTIONS]");
    if cmd.has_subcommands() {
        usage.push_str(" <COMMAND>");
    }
    for a in &positionals {
        let v = value_names(a).unwrap_or_else(|| a.get_id().to_string().to_uppercase());
        if a.is_required_set() {
            let _ = write!(usage, " <{v}>");
        } else {
            let _ = write!(usage, " [{v}]");
        }
    }
    let _ = writeln!(s, "```text\n{usage}\n```\n");
    let args: Vec<&clap::Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    if !args.is_empty() {
        let _ = writeln!(s, "| argument | value | default | description |");
        let _ = writeln!(s, "|---|---|---|---|");
        for a in args {
            let mut name = String::new();
            if let Some(short) = a.get_short() {
                let _ = write!(name, "`-{short}`");
            }
            if let Some(long) = a.get_long() {
                if !name.is_empty() {
                    name.push_str(", ");
                }
                let _ = write!(name, "`--{long}`");
            }
            if name.is_empty() {
                name = format!(
                    "`{}`",
                    value_names(a).unwrap_or_else(|| a.get_id().to_string())
                );
            }
            let takes_value = a.get_num_args().is_some_and(|n| n.takes_values())
                && !matches!(
                    a.get_action(),
                    clap::ArgAction::SetTrue
                        | clap::ArgAction::SetFalse
                        | clap::ArgAction::Count
                        | clap::ArgAction::Help
                        | clap::ArgAction::HelpShort
                        | clap::ArgAction::HelpLong
                        | clap::ArgAction::Version
                );
            let mut value = String::new();
            if takes_value {
                let possible: Vec<String> = a
                    .get_possible_values()
                    .iter()
                    .filter(|p| !p.is_hide_set())
                    .map(|p| p.get_name().to_string())
                    .collect();
                value = if possible.is_empty() {
                    format!("`{}`", value_names(a).unwrap_or_else(|| "VALUE".into()))
                } else {
                    format!("`{}`", possible.join("` \\| `"))
                };
                if a.is_required_set() {
                    value.push_str(" (required)");
                }
            }
            let default: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let default = if default.is_empty() || !takes_value {
                String::new()
            } else {
                format!("`{}`", default.join(","))
            };
            let help = a
                .get_long_help()
                .or_else(|| a.get_help())
                .map(|h| cell(&h.to_string()))
                .unwrap_or_default();
            let _ = writeln!(s, "| {name} | {value} | {default} | {help} |");
        }
        s.push('\n');
    }
    if let Some(after) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        let _ = writeln!(s, "```text\n{}\n```\n", after.to_string().trim_end());
    }
}

fn value_names(a: &clap::Arg) -> Option<String> {
    a.get_value_names().map(|v| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    })
}
