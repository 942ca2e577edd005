//! `warrant verify`: check a chain against trusted roots (exit 0 valid, 1
//! invalid). Checks trust, link rules, every link signature, revocation
//! (with `--revocation`) and the validity window of every link; no call is
//! authorized, so tools and arguments are not checked.

use warrants::{Authorizer, Call, Denial, RevocationList, Value};

use crate::cli::VerifyArgs;
use crate::exit::{CliError, DENIED, OK};
use crate::io::{display_name, read_binary};
use crate::keys::load_public_key;
use crate::output::{now, print_json};

/// Run `verify`.
pub fn run(a: &VerifyArgs, json: bool) -> Result<u8, CliError> {
    let roots = a
        .trusted_roots
        .iter()
        .map(|r| load_public_key(r, "--trusted-root"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut builder = Authorizer::builder()
        .trusted_roots(roots)
        .clock_skew(a.clock_skew);
    if let Some(path) = &a.revocation {
        let bytes = read_binary(path)?;
        let list = RevocationList::from_bytes(&bytes).map_err(|e| {
            CliError::malformed(display_name(path), "revocation list", e.to_string())
        })?;
        builder = builder.revocation_list(list);
    }
    let authorizer = builder.try_build().map_err(|e| {
        CliError::usage(
            "--revocation",
            format!("{}: {e}", a.revocation.as_deref().unwrap_or("")),
        )
    })?;
    let chain = match super::read_chain(&a.input) {
        Ok(c) => c,
        Err(CliError::Malformed { message, .. }) => {
            return deny(json, "WARRANT_MALFORMED", &message, None);
        }
        Err(e) => return Err(e),
    };
    let tool = chain
        .leaf()
        .and_then(|l| l.tools().keys().next().cloned())
        .unwrap_or_default();
    let args = Value::Null;
    let now = a.at.unwrap_or_else(now);
    let diag = authorizer.why_denied_at(&chain, &Call::new(&tool, &args, &[]), now);
    let structural = diag
        .denials
        .iter()
        .find(|d| !matches!(d, Denial::ToolNotGranted { .. }));
    let bad_sig = chain.links().iter().position(|l| !l.verify_signature());
    // Trust and structure first, then signatures, then revocation and time.
    let first = match (structural, bad_sig) {
        (
            Some(
                d @ (Denial::UntrustedRoot
                | Denial::ChainInvalid { .. }
                | Denial::ChainTooDeep { .. }),
            ),
            _,
        ) => Some((d.code().to_owned(), d.to_string(), d.link())),
        (_, Some(i)) => Some((
            "CHAIN_INVALID".to_owned(),
            format!("chain link {i} invalid: signature does not verify"),
            Some(i),
        )),
        (Some(d), None) => Some((d.code().to_owned(), d.to_string(), d.link())),
        (None, None) => None,
    };
    if let Some((code, message, link)) = first {
        return deny(json, &code, &message, link);
    }
    let leaf = chain.leaf();
    if json {
        print_json(&serde_json::json!({
            "ok": true,
            "valid": true,
            "links": chain.len(),
            "leaf_id": leaf.map(|l| l.id().to_hex()),
            "expires_at": leaf.map(|l| l.expires_at()),
        }))?;
    } else {
        println!(
            "valid: {} link{}, leaf {} expires {}",
            chain.len(),
            if chain.len() == 1 { "" } else { "s" },
            leaf.map(|l| l.id().to_hex()).unwrap_or_default(),
            leaf.map(|l| crate::output::relative(l.expires_at(), now))
                .unwrap_or_default()
        );
    }
    Ok(OK)
}

/// Report an invalid chain and return exit code 1.
fn deny(json: bool, code: &str, message: &str, link: Option<usize>) -> Result<u8, CliError> {
    if json {
        print_json(&serde_json::json!({
            "ok": false,
            "valid": false,
            "code": code,
            "error": message,
            "link": link,
        }))?;
    } else {
        println!("invalid: {code}: {message}");
    }
    Ok(DENIED)
}

/// The chain position a denial names, if any.
trait LinkOf {
    fn link(&self) -> Option<usize>;
}

impl LinkOf for Denial {
    fn link(&self) -> Option<usize> {
        let v = serde_json::to_value(self).ok()?;
        v.get("link")?
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
    }
}
