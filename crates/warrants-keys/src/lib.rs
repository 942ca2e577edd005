//! Key resolvers and signers for warrants (env, file, Vault/OpenBao, AWS KMS, composite, cache).
//!
//! This crate is filled by a later issue; see `DESIGN.md` §6.
