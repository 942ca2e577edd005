//! `warrant verify`: check a chain against trusted roots (exit 0 valid, 1
//! invalid) with [`warrants::Authorizer::verify_chain_at`]: trust, link
//! rules, every link signature, then revocation (with `--revocation`) and
//! the validity window of every link. No call is authorized, so tools,
//! arguments and proofs are not checked.

use warrants::Denial;

use crate::cli::VerifyArgs;
use crate::exit::{CliError, DENIED, OK};
use crate::output::{now, print_json};

/// Run `verify`.
pub fn run(a: &VerifyArgs, json: bool) -> Result<u8, CliError> {
    let authorizer = super::build_authorizer(&a.trust)?;
    let chain = match super::read_chain(&a.input) {
        Ok(c) => c,
        Err(CliError::Malformed { message, .. }) => {
            return deny(json, "WARRANT_MALFORMED", &message, None);
        }
        Err(e) => return Err(e),
    };
    let now = a.trust.at.unwrap_or_else(now);
    if let Err(d) = authorizer.verify_chain_at(&chain, now) {
        return deny(json, d.code(), &d.to_string(), d.link());
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
