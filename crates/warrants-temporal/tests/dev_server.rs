//! The dev-server harness against the real Temporal CLI: it serves, the
//! official client connects, and the server is gone after drop or after
//! the owning process dies without running destructors.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use temporalio_client::{Connection, ConnectionOptions, Url};
use warrants_temporal::dev_server::DevServer;

fn port_closed_within(port: u16, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[tokio::test]
async fn serves_the_official_client_and_stops() {
    let server = DevServer::start().expect("start dev server");
    let url = Url::parse(&server.url()).unwrap();
    let conn = Connection::connect(ConnectionOptions::new(url).build()).await;
    assert!(conn.is_ok(), "client could not connect: {:?}", conn.err());
    let port = server.port();
    server.stop().unwrap();
    assert!(port_closed_within(port, Duration::from_secs(10)));
}

#[test]
fn two_servers_run_side_by_side() {
    let a = DevServer::start().expect("first");
    let b = DevServer::start().expect("second");
    assert_ne!(a.port(), b.port());
    let (pa, pb) = (a.port(), b.port());
    drop(a);
    assert!(port_closed_within(pa, Duration::from_secs(10)));
    assert!(TcpStream::connect(("127.0.0.1", pb)).is_ok());
}

/// Run by `server_dies_with_its_owner` in a child process: start a server,
/// print its port, and exit without running any destructor.
#[test]
#[ignore = "helper process for server_dies_with_its_owner"]
fn owner_process() {
    if std::env::var_os("WARRANTS_DEV_SERVER_OWNER").is_none() {
        return;
    }
    let server = DevServer::start().expect("start");
    println!("LOG {}", server.log_path().display());
    println!("PORT {}", server.port());
    std::process::exit(0);
}

#[test]
fn server_dies_with_its_owner() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "owner_process", "--ignored", "--nocapture"])
        .env("WARRANTS_DEV_SERVER_OWNER", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut log = None;
    let port: u16 = out
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            if let Some(p) = l.strip_prefix("LOG ") {
                log = Some(std::path::PathBuf::from(p.trim()));
            }
            l.strip_prefix("PORT ").map(|p| p.trim().parse().unwrap())
        })
        .expect("owner printed its port");
    child.wait().unwrap();
    assert!(
        port_closed_within(port, Duration::from_secs(20)),
        "server on port {port} outlived its owner"
    );
    // The owner ran no destructor, so its log directory is ours to remove.
    let dir = log.and_then(|l| l.parent().map(std::path::Path::to_path_buf));
    std::fs::remove_dir_all(dir.expect("owner printed its log path")).unwrap();
}

/// Run by `a_panicking_test_prints_the_server_log` in a child process:
/// start a server, then panic while it is alive.
#[test]
#[ignore = "helper process for a_panicking_test_prints_the_server_log"]
fn panicking_owner() {
    if std::env::var_os("WARRANTS_DEV_SERVER_PANIC").is_none() {
        return;
    }
    let server = DevServer::start().expect("start");
    println!("PORT {}", server.port());
    panic!("deliberate failure with a live dev server");
}

/// A test that fails while its dev server runs gets the server's output on
/// stderr (for diagnosing a server that died mid-test), and the server is
/// still stopped.
#[test]
fn a_panicking_test_prints_the_server_log() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "panicking_owner", "--ignored", "--nocapture"])
        .env("WARRANTS_DEV_SERVER_PANIC", "1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the helper test must fail");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let port: u16 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PORT ").map(|p| p.trim().parse().unwrap()))
        .expect("helper printed its port");
    assert!(
        stderr.contains(&format!("temporal dev server on port {port} (log tail):")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("Temporal Server:      localhost:{port}")),
        "the server's own banner is in the tail: {stderr}"
    );
    assert!(port_closed_within(port, Duration::from_secs(20)));
}
