//! The `warrant` command line tool: keygen, pubkey, mint, inspect, verify,
//! grant, revoke, headers, authorize.
//!
//! See `warrant --help` and each subcommand's `--help`; the constraint flag
//! syntax is in [`constraint_spec`], the capability-file schema in
//! [`capfile`] and [`constraint_doc`], the exit codes in [`exit`](mod@exit).

pub mod capfile;
pub mod cli;
pub mod commands;
pub mod constraint_doc;
pub mod constraint_spec;
pub mod duration;
pub mod exit;
pub mod io;
pub mod keys;
pub mod output;
pub mod signing;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::exit::{exit, CliError};

/// Parse `args` (including the program name), run the command, print any
/// error, and return the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return exit(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return exit(exit::USAGE);
        }
    };
    let positions = |name: &str| -> (Vec<usize>, Vec<usize>) {
        matches
            .subcommand_matches(name)
            .map_or_else(Default::default, |sub| {
                (
                    sub.indices_of("tools")
                        .map(Iterator::collect)
                        .unwrap_or_default(),
                    sub.indices_of("constraints")
                        .map(Iterator::collect)
                        .unwrap_or_default(),
                )
            })
    };
    match &mut cli.command {
        Command::Mint(m) => {
            (m.caps.tool_positions, m.caps.constraint_positions) = positions("mint");
        }
        Command::Grant(g) => {
            (g.caps.tool_positions, g.caps.constraint_positions) = positions("grant");
        }
        _ => {}
    }
    let json = cli.json;
    match commands::dispatch(cli) {
        Ok(code) => exit(code),
        Err(e) => {
            report(&e, json);
            exit(e.exit_code())
        }
    }
}

/// Print an error: `warrant: ...` on stderr, or a JSON object on stdout.
fn report(e: &CliError, json: bool) {
    if json {
        let v = serde_json::json!({ "ok": false, "code": e.code(), "error": e.to_string() });
        println!("{v}");
    }
    eprintln!("warrant: {e}");
}
