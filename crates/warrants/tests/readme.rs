//! The README example, verbatim, so it cannot drift from the API.

use std::time::Duration;
use warrants::constraint::{Range, Subpath};
use warrants::{Authorizer, Call, Chain, Pop, PopWindow, SigningKey, Value, Warrant};

#[test]
#[rustfmt::skip] // kept byte-identical to the README block
fn readme_example() -> Result<(), Box<dyn std::error::Error>> {
    // --- README begin ---
    let now = 1_700_000_000; // unix seconds (Temporal: workflow time)
    let (root, agent, worker) = (SigningKey::generate(), SigningKey::generate(), SigningKey::generate());
    let warrant = Warrant::mint_builder()                       // the control plane mints
        .holder(agent.public_key())
        .capability("read_file", [("path", Subpath::new("/data/in")?.into())])
        .capability("transfer", [("amount", Range::at_most(100)?.into())])
        .ttl(Duration::from_secs(3600)).issued_at(now)
        .mint(&root)?;
    let child = warrant.grant_builder()                          // the agent delegates, narrower
        .capability("read_file", [("path", Subpath::new("/data/in/reports")?.into())])
        .holder(worker.public_key()).ttl(Duration::from_secs(60)).issued_at(now)
        .grant(&agent)?;
    let bytes = Chain::root(warrant).push(child)?.to_bytes();   // what travels in headers

    let args = Value::map([("path", "/data/in/reports/q3.csv")]);
    let pop = Pop::sign(&worker, &Chain::from_bytes(&bytes)?, "read_file", &args, b"ctx", now);
    let authorizer = Authorizer::builder().trusted_root(root.public_key()).build();
    let ok = authorizer.authorize_bytes_at(Some(&bytes), &Call::new("read_file", &args, b"ctx"),
                                           Some(&pop.to_bytes()), PopWindow::around(now, 60, 5), now)?;
    // --- README end ---
    assert_eq!(ok.chain_len, 2);

    // The README block and this test must stay identical.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))?;
    let this = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/readme.rs"))?;
    let block: Vec<&str> = this
        .lines()
        .skip_while(|l| !l.contains("--- README begin ---"))
        .skip(1)
        .take_while(|l| !l.contains("--- README end ---"))
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect();
    let code = readme
        .split("```rust")
        .nth(1)
        .and_then(|r| r.split("```").next())
        .ok_or("no rust block in README")?;
    let readme_lines: Vec<&str> = code
        .lines()
        .skip_while(|l| !l.starts_with("let now"))
        .collect();
    assert_eq!(readme_lines, block, "README example and tests/readme.rs differ");
    Ok(())
}
