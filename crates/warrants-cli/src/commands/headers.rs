//! `warrant headers`: the Temporal header values a workflow start needs.
//!
//! The header names are those of `crates/warrants-temporal/src/headers.rs`
//! (`X_WARRANT`, `X_WARRANT_KEY_ID`), hard-coded here so the CLI does not
//! depend on the Temporal crate. The worker reads `json/plain` payloads
//! holding a JSON string, which is what `temporal workflow start --headers
//! 'KEY=VALUE'` sends.

use crate::cli::HeadersArgs;
use crate::exit::{CliError, OK};
use crate::io::encode_b64;
use crate::output::print_json;

/// Header carrying the chain (warrants-temporal `X_WARRANT`).
const X_WARRANT: &str = "x-warrant";
/// Header carrying the holder key id (warrants-temporal `X_WARRANT_KEY_ID`).
const X_WARRANT_KEY_ID: &str = "x-warrant-key-id";

/// Run `headers`.
pub fn run(a: &HeadersArgs, json: bool) -> Result<u8, CliError> {
    warrants_keys::check_key_id(&a.key_id)
        .map_err(|e| CliError::usage("--key-id", e.to_string()))?;
    let chain = super::read_chain(&a.input)?;
    let text = encode_b64(&chain.to_bytes());
    // JSON string values; base64url and checked key ids need no escaping,
    // but serde_json keeps this right regardless.
    let warrant_json = serde_json::Value::String(text.clone()).to_string();
    let key_json = serde_json::Value::String(a.key_id.clone()).to_string();
    let flags = [
        format!("{X_WARRANT}={warrant_json}"),
        format!("{X_WARRANT_KEY_ID}={key_json}"),
    ];
    if json {
        print_json(&serde_json::json!({
            "ok": true,
            "headers": { X_WARRANT: text, X_WARRANT_KEY_ID: a.key_id },
            "temporal_args": ["--headers", flags[0], "--headers", flags[1]],
            "temporal_flags": flags.iter().map(|f| format!("--headers '{f}'")).collect::<Vec<_>>().join(" "),
        }))?;
    } else {
        println!("{X_WARRANT}: {text}");
        println!("{X_WARRANT_KEY_ID}: {}", a.key_id);
        println!();
        println!("# temporal workflow start ... \\");
        println!("  --headers '{}' --headers '{}'", flags[0], flags[1]);
    }
    Ok(OK)
}
