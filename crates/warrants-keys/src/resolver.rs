//! The [`KeyResolver`] trait.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use warrants::SigningKey;

use crate::Error;

/// Finds the Ed25519 signing key for a key id.
///
/// Implementations check the id with [`crate::check_key_id`] before using
/// it in a path, URL or variable name, and return [`Error::NotFound`] (code
/// `KEY_NOT_FOUND`) only when the source answered that the key does not
/// exist: an unreachable backend is [`Error::Unavailable`], so a cache can
/// keep serving a key it already has.
///
/// Resolvers may do I/O. Workflow code must never wait on one: workers
/// resolve the ids they serve before they start (see
/// [`crate::CachingResolver::preload`]) and hand the keys to the workflow
/// side in memory.
#[async_trait]
pub trait KeyResolver: Send + Sync + fmt::Debug {
    /// A short name for error reports (`env`, `file`, `vault-kv`, ...).
    fn name(&self) -> &str;

    /// The key for `key_id`.
    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error>;
}

#[async_trait]
impl<T: KeyResolver + ?Sized> KeyResolver for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        (**self).resolve(key_id).await
    }
}

#[async_trait]
impl<T: KeyResolver + ?Sized> KeyResolver for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        (**self).resolve(key_id).await
    }
}
