//! A bounded cache of chains whose structure, trust and signatures were
//! verified, keyed by the SHA-256 of the chain bytes.
//!
//! Only facts that never change for a given authorizer are cached (link
//! rules, trusted root, chain signatures). Expiry, revocation, tools,
//! constraints and the proof are checked on every call. When full, the
//! oldest entry is evicted (FIFO): bounded memory, no per-hit bookkeeping.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use crate::chain::Chain;

/// Default number of chains kept.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<[u8; 32], Arc<Chain>>,
    order: VecDeque<[u8; 32]>,
}

/// The verified-chain cache.
#[derive(Debug)]
pub(crate) struct ChainCache {
    capacity: usize,
    inner: RwLock<Inner>,
}

impl ChainCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// The verified chain with this hash, if cached.
    pub(crate) fn get(&self, hash: &[u8; 32]) -> Option<Arc<Chain>> {
        if self.capacity == 0 {
            return None;
        }
        // A poisoned lock only means a panic elsewhere while holding it; the
        // map itself is always consistent, so keep using it.
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.map.get(hash).cloned()
    }

    /// Remember a verified chain.
    pub(crate) fn insert(&self, chain: Arc<Chain>) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let key = *chain.hash();
        if g.map.contains_key(&key) {
            return;
        }
        while g.map.len() >= self.capacity {
            match g.order.pop_front() {
                Some(old) => {
                    g.map.remove(&old);
                }
                None => break,
            }
        }
        g.order.push_back(key);
        g.map.insert(key, chain);
    }

    /// Number of cached chains.
    pub(crate) fn len(&self) -> usize {
        self.inner.read().map_or(0, |g| g.map.len())
    }
}
