//! Size and count limits. All limits are counts, never wall-clock budgets.

/// Largest envelope (one signed warrant), in bytes.
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024;
/// Largest encoded chain, in bytes.
pub const MAX_CHAIN_BYTES: usize = 256 * 1024;
/// Default most links in a chain an [`crate::Authorizer`] accepts.
pub const DEFAULT_MAX_CHAIN_LINKS: usize = 16;
/// Hard cap on links in a chain; no configuration goes above it.
pub const HARD_MAX_CHAIN_LINKS: usize = 64;
/// Most tools one warrant grants.
pub const MAX_TOOLS: usize = 256;
/// Longest tool or argument name, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// Deepest CBOR nesting anywhere in a warrant (constraints and values).
pub const MAX_NESTING: usize = 32;
/// Longest TTL a warrant may have, in seconds (90 days).
pub const MAX_TTL_SECS: u64 = 90 * 24 * 3600;
/// Most glob bytes (summed over every pattern constraint) one warrant may
/// carry. Globs compile to regexes at first use; this bounds what one
/// decoded warrant can cost to compile, even for a holder with a valid key.
pub const MAX_GLOB_BYTES_PER_WARRANT: usize = 4 * 1024;
/// Most extensions one warrant carries.
pub const MAX_EXTENSIONS: usize = 32;
/// Largest PoP context, in bytes.
pub const MAX_CONTEXT_BYTES: usize = 4 * 1024;
/// Largest encoded argument map a proof may sign, in bytes.
pub const MAX_ARGS_BYTES: usize = 1024 * 1024;
/// Most warrant ids in one revocation list.
pub const MAX_REVOKED_IDS: usize = 1_000_000;
/// Most `Regex` constraints one warrant (or one decoded constraint) may
/// hold: each is compiled when decoded, and compiling a pattern at the
/// program-size limit costs up to about a millisecond.
pub const MAX_REGEXES_PER_WARRANT: usize = 16;
