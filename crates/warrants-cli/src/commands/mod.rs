//! One module per subcommand; each returns the exit code or a [`CliError`].

mod authorize;
mod grant;
mod headers;
mod inspect;
mod keygen;
mod mint;
mod pubkey;
mod request;
mod revoke;
mod verify;

use crate::cli::{Cli, Command};
use crate::exit::CliError;

/// Run the parsed command.
pub fn dispatch(cli: Cli) -> Result<u8, CliError> {
    let json = cli.json;
    match cli.command {
        Command::Keygen(a) => keygen::run(&a, json),
        Command::Pubkey(a) => pubkey::run(&a, json),
        Command::Mint(a) => mint::run(&a, json),
        Command::Inspect(a) => inspect::run(&a, json),
        Command::Verify(a) => verify::run(&a, json),
        Command::Grant(a) => grant::run(&a, json),
        Command::Revoke(a) => revoke::run(&a, json),
        Command::Headers(a) => headers::run(&a, json),
        Command::Authorize(a) => authorize::run(&a, json),
    }
}

/// Decode a chain from an input (path or `-`, raw or base64url).
pub(crate) fn read_chain(input: &str) -> Result<warrants::Chain, CliError> {
    let bytes = crate::io::read_binary(input)?;
    warrants::Chain::from_bytes(&bytes)
        .map_err(|e| CliError::malformed(crate::io::display_name(input), "chain", e.to_string()))
}

/// Write a new chain or list: raw bytes with `--binary`, base64url text
/// otherwise, to `--out` or stdout. With `--json`, `summary` plus the text
/// under `field` (and the file written) is printed on stdout, unless stdout
/// already holds the raw bytes.
pub(crate) fn emit(
    bytes: &[u8],
    field: &str,
    output: &crate::cli::OutputArgs,
    json: bool,
    mut summary: serde_json::Value,
) -> Result<(), CliError> {
    let out = output.out.as_deref();
    let text = crate::io::encode_b64(bytes);
    if output.binary {
        crate::io::write_output(out, bytes)?;
    } else if !json || out.is_some() {
        crate::io::write_output(out, format!("{text}\n").as_bytes())?;
    }
    if json && (out.is_some() || !output.binary) {
        if let serde_json::Value::Object(m) = &mut summary {
            m.insert("ok".into(), true.into());
            m.insert(field.into(), text.into());
            if let Some(out) = out {
                m.insert("out".into(), out.display().to_string().into());
            }
        }
        crate::output::print_json(&summary)?;
    }
    Ok(())
}

/// The authorizer of `verify` and `authorize`: `--trusted-root` keys (a
/// `transit:NAME` root adds every version's public key, `transit:NAME@N`
/// version N's),
/// `--clock-skew` and an optional `--revocation` list (whose issuer must be
/// one of the roots). `--at` is applied by the caller.
pub(crate) fn build_authorizer(
    trust: &crate::cli::TrustArgs,
) -> Result<warrants::Authorizer, CliError> {
    let revocation = trust.revocation.as_deref();
    let mut roots = Vec::new();
    for spec in &trust.trusted_roots {
        match spec.strip_prefix("transit:") {
            Some(rest) => {
                roots.extend(crate::signing::transit_public_keys(rest, "--trusted-root")?)
            }
            None => roots.push(crate::keys::load_public_key(spec, "--trusted-root")?),
        }
    }
    let mut builder = warrants::Authorizer::builder()
        .trusted_roots(roots)
        .clock_skew(trust.clock_skew);
    if let Some(path) = revocation {
        let bytes = crate::io::read_binary(path)?;
        let list = warrants::RevocationList::from_bytes(&bytes).map_err(|e| {
            CliError::malformed(
                crate::io::display_name(path),
                "revocation list",
                e.to_string(),
            )
        })?;
        builder = builder.revocation_list(list);
    }
    builder.try_build().map_err(|e| {
        CliError::usage(
            "--revocation",
            format!("{}: {e}", crate::io::display_name(revocation.unwrap_or(""))),
        )
    })
}
