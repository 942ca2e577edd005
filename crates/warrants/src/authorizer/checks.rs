//! The individual checks the authorizer composes.

use crate::chain::{Chain, LinkRule};
use crate::keys::{PublicKey, Signature};
use crate::limits;
use crate::pop::Pop;

use super::{Call, Denial};

/// Whether the leaf grants the tool (cheap; the conjunction checks all links).
pub(super) fn leaf_grants(chain: &Chain, tool: &str) -> Result<(), Denial> {
    match chain.leaf() {
        Some(l) if l.tool(tool).is_some() => Ok(()),
        Some(_) => Err(Denial::ToolNotGranted {
            tool: tool.to_owned(),
            link: chain.len().saturating_sub(1),
        }),
        None => Err(Denial::WarrantMissing),
    }
}

/// Validity of every link: valid while `issued_at <= now + skew` and
/// `now < expires_at + skew`.
pub(super) fn check_times(
    links: impl Iterator<Item = (u64, u64)>,
    now: u64,
    skew: u64,
) -> Result<(), Denial> {
    for (link, (issued_at, expires_at)) in links.enumerate() {
        if now >= expires_at.saturating_add(skew) {
            return Err(Denial::WarrantExpired {
                link,
                expires_at,
                now,
            });
        }
        if now.saturating_add(skew) < issued_at {
            return Err(Denial::NotYetValid {
                link,
                issued_at,
                now,
            });
        }
    }
    Ok(())
}

/// Every link must grant the tool and its constraint set must allow the
/// arguments.
pub(super) fn conjunction(chain: &Chain, call: &Call<'_>) -> Result<(), Denial> {
    for (i, l) in chain.links().iter().enumerate() {
        let set = l.tool(call.tool).ok_or_else(|| Denial::ToolNotGranted {
            tool: call.tool.to_owned(),
            link: i,
        })?;
        set.check(call.args).map_err(|mut violation| {
            violation.link = i;
            Denial::ConstraintViolated {
                tool: call.tool.to_owned(),
                violation,
            }
        })?;
    }
    Ok(())
}

/// The proof message for this call, refusing oversize arguments.
pub(super) fn pop_message(
    leaf_hash: &[u8; 32],
    call: &Call<'_>,
    pop: &Pop,
) -> Result<Vec<u8>, Denial> {
    let msg = Pop::message(leaf_hash, call.tool, call.args, call.context, pop.ts);
    if msg.len() > limits::MAX_ARGS_BYTES {
        return Err(Denial::ArgsInvalid {
            reason: "arguments too large".into(),
        });
    }
    Ok(msg)
}

/// One strict check of the proof.
pub(super) fn verify_pop(holder: &PublicKey, msg: &[u8], pop: &Pop) -> Result<(), Denial> {
    if holder.verify(msg, &pop.signature) {
        Ok(())
    } else {
        Err(Denial::PopInvalid)
    }
}

/// Verify every link signature and the proof in one batch (keys were
/// checked for weakness at decode). On failure, strict single checks name
/// the first bad link. `Ok(false)`: the chain is valid but the proof is not.
pub(super) fn verify_signatures(
    links: &[(&[u8], Signature, PublicKey)],
    pop_msg: &[u8],
    pop: &Pop,
    holder: &PublicKey,
) -> Result<bool, Denial> {
    let n = links.len() + 1;
    let mut msgs: Vec<&[u8]> = Vec::with_capacity(n);
    let mut sigs = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    for (m, s, k) in links {
        msgs.push(*m);
        sigs.push(s.dalek());
        keys.extend(k.point());
    }
    msgs.push(pop_msg);
    sigs.push(pop.signature.dalek());
    keys.extend(holder.point());
    // A key that is not on the curve has no point: skip the batch and let
    // the single checks name the link.
    if keys.len() == n && ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return Ok(true);
    }
    for (i, (m, s, k)) in links.iter().enumerate() {
        if !k.verify(m, s) {
            return Err(Denial::ChainInvalid {
                link: i,
                rule: LinkRule::BadSignature,
            });
        }
    }
    Ok(holder.verify(pop_msg, &pop.signature))
}
