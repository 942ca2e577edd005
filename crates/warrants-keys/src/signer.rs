//! Signers: issuer keys that may live outside this process.
//!
//! A [`Signer`] names the key it will sign with ([`Signer::current_key`]:
//! the public key and, for rotating backends, its version) and signs a
//! message with exactly that version. [`mint`] and [`sign_prepared`] use the
//! core's `prepare()`/`finish()` split: the warrant is built and encoded
//! here, only the signing message goes to the signer, and `finish` checks
//! the returned signature against the issuer key in the payload, so a
//! misconfigured signer fails at mint time rather than at authorization.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use warrants::warrant::{GrantBuilder, MintBuilder};
use warrants::{PublicKey, Signature, SigningKey, UnsignedWarrant, Warrant};

use crate::Error;

/// The key a signer will use: its public key and, when the backend
/// versions keys (Vault Transit), the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignerKey {
    /// The Ed25519 public key (the warrant's issuer).
    pub public: PublicKey,
    /// The backend's key version, if it has versions.
    pub version: Option<u32>,
}

/// Signs messages with an Ed25519 key that may live elsewhere.
#[async_trait]
pub trait Signer: Send + Sync + fmt::Debug {
    /// A short name for errors and logs (`local`, `vault-transit:<key>`).
    fn name(&self) -> String;

    /// The key the next signature will be made with.
    async fn current_key(&self) -> Result<SignerKey, Error>;

    /// Sign `message` with `key` (as returned by [`Signer::current_key`];
    /// a rotating backend signs with `key.version`, not its latest).
    async fn sign(&self, key: &SignerKey, message: &[u8]) -> Result<Signature, Error>;
}

#[async_trait]
impl<T: Signer + ?Sized> Signer for Arc<T> {
    fn name(&self) -> String {
        (**self).name()
    }
    async fn current_key(&self) -> Result<SignerKey, Error> {
        (**self).current_key().await
    }
    async fn sign(&self, key: &SignerKey, message: &[u8]) -> Result<Signature, Error> {
        (**self).sign(key, message).await
    }
}

/// A warrant and the signer key version that signed it.
#[derive(Debug, Clone)]
pub struct Minted {
    /// The signed warrant.
    pub warrant: Warrant,
    /// The key that signed it.
    pub key: SignerKey,
}

/// Mint a root warrant whose issuer is the signer's current key.
pub async fn mint(builder: MintBuilder, signer: &dyn Signer) -> Result<Minted, Error> {
    let key = signer.current_key().await?;
    let unsigned = builder.prepare(key.public)?;
    sign_with_key(unsigned, signer, key).await
}

/// Sign a prepared child (a [`GrantBuilder`]'s `prepare()`): the signer
/// must hold the parent's holder key.
pub async fn grant(builder: GrantBuilder<'_>, signer: &dyn Signer) -> Result<Minted, Error> {
    let unsigned = builder.prepare()?;
    sign_prepared(unsigned, signer).await
}

/// Sign any prepared warrant; the signer's current key must be the
/// prepared issuer.
pub async fn sign_prepared(
    unsigned: UnsignedWarrant,
    signer: &dyn Signer,
) -> Result<Minted, Error> {
    let key = signer.current_key().await?;
    if key.public != unsigned.payload().issuer {
        return Err(Error::Signature {
            signer: signer.name(),
            reason: "the signer's key is not the prepared issuer".into(),
        });
    }
    sign_with_key(unsigned, signer, key).await
}

async fn sign_with_key(
    unsigned: UnsignedWarrant,
    signer: &dyn Signer,
    key: SignerKey,
) -> Result<Minted, Error> {
    let sig = signer.sign(&key, &unsigned.signing_message()).await?;
    let warrant = unsigned.finish(sig).map_err(|e| match e {
        warrants::BuildError::BadSignature => Error::Signature {
            signer: signer.name(),
            reason: "signature does not verify under the signer's public key".into(),
        },
        other => Error::Build(other),
    })?;
    Ok(Minted { warrant, key })
}

/// A signer over an in-process key.
pub struct LocalSigner {
    key: Arc<SigningKey>,
}

impl LocalSigner {
    /// Sign with `key`.
    pub fn new(key: impl Into<Arc<SigningKey>>) -> Self {
        Self { key: key.into() }
    }
}

impl fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSigner")
            .field("public", &self.key.public_key())
            .finish()
    }
}

#[async_trait]
impl Signer for LocalSigner {
    fn name(&self) -> String {
        "local".into()
    }

    async fn current_key(&self) -> Result<SignerKey, Error> {
        Ok(SignerKey {
            public: self.key.public_key(),
            version: None,
        })
    }

    async fn sign(&self, key: &SignerKey, message: &[u8]) -> Result<Signature, Error> {
        if key.public != self.key.public_key() {
            return Err(Error::Signature {
                signer: self.name(),
                reason: "asked to sign with a key it does not hold".into(),
            });
        }
        Ok(self.key.sign(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warrants::Constraint;

    #[derive(Debug)]
    struct Lying;

    #[async_trait]
    impl Signer for Lying {
        fn name(&self) -> String {
            "lying".into()
        }
        async fn current_key(&self) -> Result<SignerKey, Error> {
            Ok(SignerKey {
                public: SigningKey::from_seed(&[1; 32]).public_key(),
                version: Some(3),
            })
        }
        async fn sign(&self, _: &SignerKey, message: &[u8]) -> Result<Signature, Error> {
            Ok(SigningKey::from_seed(&[2; 32]).sign(message))
        }
    }

    fn builder(holder: &SigningKey) -> MintBuilder {
        Warrant::mint_builder()
            .holder(holder.public_key())
            .capability(
                "read_file",
                [(
                    "path",
                    Constraint::from(warrants::constraint::Subpath::new("/data").unwrap()),
                )],
            )
    }

    #[tokio::test]
    async fn local_mint_and_grant_verify_offline() {
        let issuer = SigningKey::from_seed(&[1; 32]);
        let agent = Arc::new(SigningKey::from_seed(&[2; 32]));
        let root = mint(builder(&agent), &LocalSigner::new(issuer))
            .await
            .unwrap();
        assert!(root.warrant.verify_signature());
        assert_eq!(root.key.version, None);
        let child = grant(
            root.warrant
                .grant_builder()
                .holder(SigningKey::from_seed(&[3; 32]).public_key())
                .inherit_all(),
            &LocalSigner::new(agent.clone()),
        )
        .await
        .unwrap();
        assert!(child.warrant.verify_signature());
        assert_eq!(child.warrant.issuer(), &agent.public_key());
        // The wrong key cannot sign the child.
        let e = grant(
            root.warrant
                .grant_builder()
                .holder(agent.public_key())
                .inherit_all(),
            &LocalSigner::new(SigningKey::from_seed(&[9; 32])),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "KEY_SIGNATURE");
    }

    #[tokio::test]
    async fn a_signer_that_signs_with_another_key_is_caught_at_mint() {
        let e = mint(builder(&SigningKey::from_seed(&[2; 32])), &Lying)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "KEY_SIGNATURE");
        assert_eq!(
            e.to_string(),
            "signer lying: signature does not verify under the signer's public key"
        );
    }
}
