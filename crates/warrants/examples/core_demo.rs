//! Core demo: mint a root warrant, delegate a narrower one, then authorize
//! one allowed and two denied calls and print why.
//!
//! Run with `make demo` (or `cargo run -p warrants --example core_demo`).

use std::error::Error;
use std::time::Duration;

use warrants::constraint::{Range, Subpath};
use warrants::{Authorizer, Call, Chain, Pop, PopWindow, Redaction, SigningKey, Value, Warrant};

fn main() -> Result<(), Box<dyn Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let control_plane = SigningKey::generate();
    let agent = SigningKey::generate();
    let reporter = SigningKey::generate();

    // The control plane mints a one-hour warrant for the agent.
    let root = Warrant::mint_builder()
        .holder(agent.public_key())
        .capability("read_file", [("path", Subpath::new("/data/in")?.into())])
        .capability("transfer", [("amount", Range::at_most(100)?.into())])
        .ttl(Duration::from_secs(3600))
        .mint(&control_plane)?;
    println!(
        "minted root warrant {} (tools: read_file, transfer)",
        root.id()
    );

    // The agent delegates: only read_file, only under /data/in/reports, 60 s.
    let child = root
        .grant_builder()
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in/reports")?.into())],
        )
        .holder(reporter.public_key())
        .ttl(Duration::from_secs(60))
        .grant(&agent)?;
    let chain = Chain::root(root).push(child)?;
    let bytes = chain.to_bytes();
    println!(
        "delegated to the reporter: chain of {} links, {} bytes",
        chain.len(),
        bytes.len()
    );

    // A widening grant is refused before anything is signed.
    let refused = chain
        .leaf()
        .ok_or("empty chain")?
        .grant_builder()
        .capability("read_file", [("path", Subpath::new("/data")?.into())])
        .grant(&reporter);
    if let Err(e) = refused {
        println!("widening grant refused: [{}] {e}", e.code());
    }

    // The worker side: decode the header bytes and authorize each call.
    let authorizer = Authorizer::builder()
        .trusted_root(control_plane.public_key())
        .build();
    let chain = Chain::from_bytes(&bytes)?;
    let window = PopWindow::around(now, 60, 5);
    let calls = [
        (
            "read_file",
            Value::map([("path", "/data/in/reports/q3.csv")]),
        ),
        (
            "read_file",
            Value::map([("path", "/data/in/reports/../../../etc/passwd")]),
        ),
        ("transfer", Value::map([("amount", 50)])),
    ];
    for (i, (tool, args)) in calls.iter().enumerate() {
        let context = format!("demo-workflow/{i}");
        let pop = Pop::sign(&reporter, &chain, tool, args, context.as_bytes(), now);
        let call = Call::new(tool, args, context.as_bytes());
        match authorizer.authorize_at(&chain, &call, &pop, window, now) {
            Ok(ok) => println!(
                "ALLOW {tool} {args}: warrant {} (chain of {}, cache hit: {})",
                ok.warrant_id, ok.chain_len, ok.cache_hit
            ),
            Err(denial) => println!(
                "DENY  {tool} [{}] {}\n      with values shown (debug only): {}",
                denial.code(),
                denial,
                denial.explain(args, Redaction::Off)
            ),
        }
    }
    Ok(())
}
