//! Replay protection for proofs of possession (DESIGN §3).
//!
//! A proof lifted from history is bound to one workflow id, activity id,
//! tool and argument set, and to a time window. Inside that window the
//! same proof could still be presented again as a *first* attempt (e.g. a
//! forged schedule that copies a real one). The activity side therefore
//! remembers the signature of every first-attempt proof it accepted until
//! the proof's window has passed, and denies a second first-attempt use
//! with `POP_REPLAYED`. Retries (attempt > 1) legitimately reuse the proof
//! and are not checked. Local activities are not checked either: their
//! headers never reach history, and a worker that re-runs a local activity
//! after a workflow-task failure re-sends attempt 1 with the same proof.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Remembers first-attempt proofs.
pub trait ProofStore: Send + Sync + 'static {
    /// Record `proof` (its 64 signature bytes) as used until `until` (unix
    /// seconds). Returns `false` when it was already recorded and has not
    /// expired at `now`: the caller denies.
    fn first_use(&self, proof: &[u8; 64], until: u64, now: u64) -> bool;
}

/// Default capacity of [`MemoryProofStore`].
pub const DEFAULT_PROOF_STORE_CAPACITY: usize = 100_000;

/// An in-process store, bounded: when full, entries are dropped oldest
/// first (expired ones first). A bound is needed so that a flood of
/// activities cannot exhaust memory; the price is that a proof evicted
/// early could be replayed once more inside its window. Size the capacity
/// above the number of activities a worker starts per PoP window.
#[derive(Debug)]
pub struct MemoryProofStore {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    until: HashMap<[u8; 64], u64>,
    order: VecDeque<([u8; 64], u64)>,
}

impl MemoryProofStore {
    /// A store holding at most `capacity` proofs (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Number of proofs remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.until.len()).unwrap_or(0)
    }

    /// Whether no proof is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryProofStore {
    fn default() -> Self {
        Self::new(DEFAULT_PROOF_STORE_CAPACITY)
    }
}

impl ProofStore for MemoryProofStore {
    fn first_use(&self, proof: &[u8; 64], until: u64, now: u64) -> bool {
        // A poisoned lock means another thread panicked mid-update: fail
        // closed.
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        if let Some(&t) = inner.until.get(proof) {
            if t >= now {
                return false;
            }
        }
        // Drop expired entries from the front, then the oldest while full.
        while let Some(&(key, t)) = inner.order.front() {
            let expired = t < now;
            if !expired && inner.until.len() < self.capacity {
                break;
            }
            inner.order.pop_front();
            if inner.until.get(&key) == Some(&t) {
                inner.until.remove(&key);
            }
        }
        inner.until.insert(*proof, until);
        inner.order.push_back((*proof, until));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_use_inside_window_is_refused() {
        let s = MemoryProofStore::new(10);
        let p = [7u8; 64];
        assert!(s.first_use(&p, 100, 50));
        assert!(!s.first_use(&p, 100, 60));
        assert!(!s.first_use(&p, 100, 100));
        // After the window the proof would be stale anyway; the store
        // forgets it.
        assert!(s.first_use(&p, 200, 101));
    }

    #[test]
    fn bounded_and_evicts_oldest() {
        let s = MemoryProofStore::new(3);
        for i in 0..5u8 {
            assert!(s.first_use(&[i; 64], 1_000, 10));
        }
        assert_eq!(s.len(), 3);
        // The two oldest were evicted, the three newest are remembered.
        assert!(!s.first_use(&[4; 64], 1_000, 10));
        assert!(!s.first_use(&[2; 64], 1_000, 10));
        assert!(s.first_use(&[0; 64], 1_000, 10));
    }

    #[test]
    fn expired_entries_are_dropped_first() {
        let s = MemoryProofStore::new(100);
        assert!(s.first_use(&[1; 64], 5, 0));
        assert!(s.first_use(&[2; 64], 50, 0));
        assert!(s.first_use(&[3; 64], 50, 10));
        assert_eq!(s.len(), 2);
    }
}
