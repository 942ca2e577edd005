//! Key resolvers and signers for warrants (DESIGN §6).
//!
//! - [`KeyResolver`]: find a holder's Ed25519 signing key by key id.
//!   [`EnvResolver`] (`WARRANT_KEY_<ID>`), [`FileResolver`] (one file per
//!   id, strict permissions), [`VaultKvResolver`] (Vault/OpenBao KV v2 over
//!   HTTP), `KmsEnvelopeResolver` (feature `aws-kms`: a seed stored
//!   encrypted, decrypted with AWS KMS), [`CompositeResolver`] (first that
//!   succeeds) and [`CachingResolver`] (TTL, bound, preload, refresh).
//! - [`Signer`]: sign warrants with an issuer key that never leaves its
//!   vault: [`LocalSigner`], [`TransitSigner`] (Vault/OpenBao Transit
//!   Ed25519), `KmsSigner` (feature `aws-kms`). [`mint`] and [`grant`] use
//!   the core's `prepare()`/`finish()` split.
//! - [`settings`]: the `WARRANT_KEYS_*` environment variables that choose
//!   and configure a resolver.
//!
//! Secrets (seeds, tokens, AppRole secret ids) are held in
//! `secrecy`/`zeroize` types and never appear in `Debug`, logs, errors or
//! metrics. Key ids are checked ([`check_key_id`]) before they reach a
//! path, a URL or a variable name.

mod cache;
mod composite;
mod env;
mod error;
mod file;
mod key_id;
mod resolver;
mod seed;
pub mod settings;
mod signer;
pub mod vault;

#[cfg(feature = "aws-kms")]
pub mod kms;

#[cfg(feature = "dev-servers")]
pub mod dev_servers;

pub use cache::{CacheOptions, CachingResolver, RefreshReport};
pub use composite::CompositeResolver;
pub use env::EnvResolver;
pub use error::Error;
pub use file::{FileResolver, FORBIDDEN_MODE_BITS};
pub use key_id::{check_key_id, env_var_name, ENV_PREFIX, MAX_KEY_ID_LEN};
pub use resolver::KeyResolver;
pub use signer::{grant, mint, sign_prepared, LocalSigner, Minted, Signer, SignerKey};
pub use vault::{TransitSigner, VaultClient, VaultKvResolver};

/// Parse a seed given as text (base64url or standard base64, padding
/// optional). Errors say what is wrong, never the value.
pub fn signing_key_from_text(text: &str) -> Result<warrants::SigningKey, &'static str> {
    seed::parse_seed_text(text)
}
