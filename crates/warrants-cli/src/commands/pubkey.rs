//! `warrant pubkey`: the public key of a seed.

use crate::cli::PubkeyArgs;
use crate::exit::{CliError, OK};

/// Run `pubkey`.
pub fn run(a: &PubkeyArgs, json: bool) -> Result<u8, CliError> {
    let key = crate::keys::load_signing_key(&a.seed, "SEED")?.public_key();
    if json {
        crate::output::print_json(&serde_json::json!({
            "ok": true,
            "public_key": key.to_base64url(),
            "fingerprint": crate::output::fingerprint(&key),
        }))?;
    } else {
        println!("{}", key.to_base64url());
    }
    Ok(OK)
}
