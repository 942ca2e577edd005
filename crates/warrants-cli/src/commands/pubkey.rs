//! `warrant pubkey`: the public key of a seed or of a Transit key.

use crate::cli::PubkeyArgs;
use crate::exit::{CliError, OK};
use crate::output::{fingerprint, print_json};
use crate::signing::{block_on, key_error, parse_transit, transit_signer};

/// Run `pubkey`.
pub fn run(a: &PubkeyArgs, json: bool) -> Result<u8, CliError> {
    let Some(rest) = a.seed.strip_prefix("transit:") else {
        if a.all_versions {
            return Err(CliError::usage(
                "--all-versions",
                "only a transit: key has versions",
            ));
        }
        let key = crate::keys::load_signing_key(&a.seed, "KEY")?.public_key();
        if json {
            print_json(&serde_json::json!({
                "ok": true,
                "public_key": key.to_base64url(),
                "fingerprint": fingerprint(&key),
            }))?;
        } else {
            println!("{}", key.to_base64url());
        }
        return Ok(OK);
    };
    let spec = parse_transit(rest, "KEY")?;
    let signer = transit_signer(&spec, "KEY")?;
    if a.all_versions {
        let keys = block_on(signer.public_keys())?.map_err(|e| key_error("KEY", e))?;
        if json {
            let list: Vec<_> = keys
                .iter()
                .map(|(v, k)| {
                    serde_json::json!({
                        "version": v,
                        "public_key": k.to_base64url(),
                        "fingerprint": fingerprint(k),
                    })
                })
                .collect();
            print_json(&serde_json::json!({ "ok": true, "versions": list }))?;
        } else {
            for (v, k) in &keys {
                println!("{v} {}", k.to_base64url());
            }
        }
        return Ok(OK);
    }
    let key =
        block_on(warrants_keys::Signer::current_key(&signer))?.map_err(|e| key_error("KEY", e))?;
    if json {
        print_json(&serde_json::json!({
            "ok": true,
            "public_key": key.public.to_base64url(),
            "fingerprint": fingerprint(&key.public),
            "version": key.version,
        }))?;
    } else {
        println!("{}", key.public.to_base64url());
    }
    Ok(OK)
}
