//! Constraints of a type this version does not know.

/// A constraint whose type id this version does not know. It keeps its exact
/// bytes so the warrant re-encodes identically, and it never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    type_id: u64,
    raw: Vec<u8>,
}

impl Unknown {
    pub(crate) fn new(type_id: u64, raw: Vec<u8>) -> Self {
        Self { type_id, raw }
    }

    /// The unknown type id.
    pub fn type_id(&self) -> u64 {
        self.type_id
    }

    /// The constraint's canonical bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}
