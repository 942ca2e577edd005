//! The `warrant` binary: see the `warrants_cli` library for the commands.

fn main() -> std::process::ExitCode {
    warrants_cli::run(std::env::args_os())
}
