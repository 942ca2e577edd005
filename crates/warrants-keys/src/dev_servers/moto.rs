//! moto: the AWS stand-in from PyPI (`moto[server]`), used here for KMS.
//!
//! `moto_server -H 127.0.0.1 -p <port>` serves every AWS service moto
//! emulates on one loopback port, in memory, accepting any credentials
//! (tests use `testing`/`testing`, region `us-east-1`). Its KMS supports
//! symmetric `Encrypt`/`Decrypt` with encryption contexts, but has no
//! Ed25519 (`ECC_NIST_EDWARDS25519`) keys.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use super::{
    free_ports, require_binary, DevServerError, Supervised, INSTALL_SCRIPT, START_ATTEMPTS,
};

/// How long one start may take before it is retried on a fresh port.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `moto_server` on loopback, stopped when dropped.
#[derive(Debug)]
pub struct MotoServer {
    port: u16,
    binary: PathBuf,
    process: Supervised,
}

impl MotoServer {
    /// Start `moto_server` (`$MOTO_SERVER_BIN`, the project virtualenv or
    /// `PATH`) on a free loopback port and wait until it answers HTTP.
    /// A start that fails (for example because another process took the
    /// port) is retried on a fresh port, [`START_ATTEMPTS`] times in all.
    pub fn start() -> Result<Self, DevServerError> {
        let binary = require_binary("moto_server", "MOTO_SERVER_BIN", INSTALL_SCRIPT)?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let [port] = free_ports::<1>()?;
            let args = [
                "-H".to_string(),
                "127.0.0.1".to_string(),
                "-p".to_string(),
                port.to_string(),
            ];
            let mut process = Supervised::spawn(&binary, &args, None)?;
            match process.wait_ready(&[port], READY_TIMEOUT, || answers_http(port)) {
                Ok(()) => {
                    return Ok(Self {
                        port,
                        binary,
                        process,
                    })
                }
                Err(e) => {
                    let _ = process.stop();
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| DevServerError::NotReady("no start attempted".into())))
    }

    /// The base URL, `http://127.0.0.1:<port>` (the KMS endpoint).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `moto_server` binary in use.
    pub fn binary(&self) -> &std::path::Path {
        &self.binary
    }

    /// Stop the server and wait until it is gone (dropping does the same).
    pub fn stop(self) -> std::io::Result<()> {
        self.process.stop()
    }
}

/// Whether the port answers an HTTP request with an HTTP status line.
fn answers_http(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "GET /moto-api/data.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    let mut got = 0;
    while got < head.len() {
        match stream.read(head.get_mut(got..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    head.starts_with(b"HTTP/1.")
}
