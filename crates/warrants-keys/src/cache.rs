//! A bounded, TTL cache in front of any resolver, with preload and refresh.
//!
//! Workers call [`CachingResolver::preload`] with the key ids they serve
//! before they start polling, then read keys with
//! [`CachingResolver::cached`] (no I/O, no await), so workflow code never
//! waits on a vault. [`CachingResolver::refresh`] (or
//! [`CachingResolver::spawn_refresher`]) re-reads every cached id: a key
//! the source now says does not exist is evicted; a key the source cannot
//! be asked about right now (backend down) is kept, so an outage does not
//! take keys away from running workers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use warrants::SigningKey;

use crate::{check_key_id, Error, KeyResolver};

/// Cache settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// How long a resolved key is served before the source is asked again.
    pub ttl: Duration,
    /// Most keys kept; the least recently used is dropped first.
    pub max_entries: usize,
}

impl Default for CacheOptions {
    /// Five minutes, 1024 keys.
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            max_entries: 1024,
        }
    }
}

struct Entry {
    key: Arc<SigningKey>,
    fetched: Instant,
    used: u64,
}

struct State {
    entries: HashMap<String, Entry>,
    tick: u64,
}

/// What [`CachingResolver::refresh`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefreshReport {
    /// Ids re-read successfully.
    pub refreshed: Vec<String>,
    /// Ids the source no longer has, now evicted.
    pub evicted: Vec<String>,
    /// Ids that could not be checked and were kept, with the error code.
    pub kept_stale: Vec<(String, &'static str)>,
}

/// A caching layer over another resolver.
pub struct CachingResolver<R> {
    inner: R,
    options: CacheOptions,
    state: Mutex<State>,
}

impl<R: KeyResolver> CachingResolver<R> {
    /// Cache `inner` with `options`.
    pub fn new(inner: R, options: CacheOptions) -> Self {
        Self {
            inner,
            options,
            state: Mutex::new(State {
                entries: HashMap::new(),
                tick: 0,
            }),
        }
    }

    /// The wrapped resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// The settings.
    pub fn options(&self) -> CacheOptions {
        self.options
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves a consistent map
        // (every mutation is a single insert/remove), so keep using it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A cached key without I/O, fresh or not (`None` if never loaded or
    /// evicted). This is what workflow-side code uses.
    pub fn cached(&self, key_id: &str) -> Option<Arc<SigningKey>> {
        let mut st = self.lock();
        st.tick += 1;
        let tick = st.tick;
        st.entries.get_mut(key_id).map(|e| {
            e.used = tick;
            e.key.clone()
        })
    }

    /// Ids currently cached, sorted.
    pub fn cached_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().entries.keys().cloned().collect();
        ids.sort();
        ids
    }

    fn fresh(&self, key_id: &str) -> Option<Arc<SigningKey>> {
        let mut st = self.lock();
        st.tick += 1;
        let tick = st.tick;
        let ttl = self.options.ttl;
        st.entries
            .get_mut(key_id)
            .filter(|e| e.fetched.elapsed() < ttl)
            .map(|e| {
                e.used = tick;
                e.key.clone()
            })
    }

    fn store(&self, key_id: &str, key: Arc<SigningKey>) {
        let mut st = self.lock();
        st.tick += 1;
        let tick = st.tick;
        if !st.entries.contains_key(key_id) && st.entries.len() >= self.options.max_entries {
            let lru = st
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = lru {
                st.entries.remove(&k);
            }
        }
        if self.options.max_entries == 0 {
            return;
        }
        st.entries.insert(
            key_id.to_string(),
            Entry {
                key,
                fetched: Instant::now(),
                used: tick,
            },
        );
    }

    /// Remove one id.
    pub fn evict(&self, key_id: &str) {
        self.lock().entries.remove(key_id);
    }

    /// Resolve every id now and keep them. All ids are tried; if any fails
    /// the error lists each failure ([`Error::AllFailed`] per id is not
    /// used: the first failing id's error is returned after all were
    /// tried, so a worker refuses to start with a clear reason).
    pub async fn preload<I, S>(&self, key_ids: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut first_err = None;
        for id in key_ids {
            let id = id.as_ref();
            match self.fetch(id).await {
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(key_id = id, code = e.code(), "key preload failed");
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    async fn fetch(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        check_key_id(key_id)?;
        let key = self.inner.resolve(key_id).await?;
        self.store(key_id, key.clone());
        Ok(key)
    }

    /// Re-read every cached id from the source (see the module docs).
    pub async fn refresh(&self) -> RefreshReport {
        let mut report = RefreshReport::default();
        for id in self.cached_ids() {
            match self.inner.resolve(&id).await {
                Ok(k) => {
                    self.store(&id, k);
                    report.refreshed.push(id);
                }
                Err(e) if e.is_not_found() => {
                    self.evict(&id);
                    report.evicted.push(id);
                }
                Err(e) => {
                    tracing::warn!(
                        key_id = id.as_str(),
                        code = e.code(),
                        "key refresh failed; keeping the cached key"
                    );
                    report.kept_stale.push((id, e.code()));
                }
            }
        }
        report
    }

    /// Refresh every `every` on the current tokio runtime until the
    /// returned handle is aborted or the last other `Arc` is dropped.
    pub fn spawn_refresher(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()>
    where
        R: 'static,
    {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(this) = weak.upgrade() else { return };
                this.refresh().await;
            }
        })
    }
}

impl<R: fmt::Debug> fmt::Debug for CachingResolver<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingResolver")
            .field("inner", &self.inner)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<R: KeyResolver> KeyResolver for CachingResolver<R> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        if let Some(k) = self.fresh(key_id) {
            return Ok(k);
        }
        match self.fetch(key_id).await {
            Ok(k) => Ok(k),
            Err(e) if e.is_not_found() => {
                self.evict(key_id);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts calls; seeds are the id's first byte; `down` fails as unavailable.
    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
        gone: Mutex<Vec<String>>,
        down: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl KeyResolver for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.down.load(Ordering::SeqCst) {
                return Err(Error::Unavailable {
                    backend: "vault",
                    attempts: 1,
                    message: "down".into(),
                });
            }
            if self.gone.lock().unwrap().iter().any(|g| g == key_id) {
                return Err(Error::NotFound {
                    key_id: key_id.into(),
                    source_name: "counting".into(),
                });
            }
            Ok(Arc::new(SigningKey::from_seed(&[key_id.as_bytes()[0]; 32])))
        }
    }

    fn calls(c: &CachingResolver<Arc<Counting>>) -> usize {
        c.inner().calls.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn hit_within_ttl_miss_after() {
        let c = CachingResolver::new(
            Arc::new(Counting::default()),
            CacheOptions {
                ttl: Duration::from_millis(200),
                max_entries: 8,
            },
        );
        assert!(c.cached("a").is_none());
        c.resolve("a").await.unwrap();
        c.resolve("a").await.unwrap();
        assert_eq!(calls(&c), 1);
        assert!(c.cached("a").is_some());
        tokio::time::sleep(Duration::from_millis(250)).await;
        c.resolve("a").await.unwrap();
        assert_eq!(calls(&c), 2);
    }

    #[tokio::test]
    async fn bounded_lru() {
        let c = CachingResolver::new(
            Arc::new(Counting::default()),
            CacheOptions {
                ttl: Duration::from_secs(60),
                max_entries: 2,
            },
        );
        c.preload(["a", "b"]).await.unwrap();
        c.cached("a"); // a is now more recent than b
        c.resolve("c").await.unwrap();
        assert_eq!(c.cached_ids(), vec!["a", "c"]);
        let z = CachingResolver::new(
            Arc::new(Counting::default()),
            CacheOptions {
                ttl: Duration::from_secs(60),
                max_entries: 0,
            },
        );
        z.resolve("a").await.unwrap();
        assert!(z.cached_ids().is_empty());
    }

    #[tokio::test]
    async fn preload_reports_failures_after_trying_all() {
        let inner = Arc::new(Counting::default());
        inner.gone.lock().unwrap().push("b".into());
        let c = CachingResolver::new(inner, CacheOptions::default());
        let e = c.preload(["a", "b", "c", "../d"]).await.unwrap_err();
        assert_eq!(e.code(), "KEY_NOT_FOUND");
        assert_eq!(c.cached_ids(), vec!["a", "c"]);
    }

    #[tokio::test]
    async fn refresh_evicts_gone_and_keeps_unreachable() {
        let inner = Arc::new(Counting::default());
        let c = Arc::new(CachingResolver::new(inner.clone(), CacheOptions::default()));
        c.preload(["a", "b"]).await.unwrap();
        inner.gone.lock().unwrap().push("b".into());
        let r = c.refresh().await;
        assert_eq!(r.refreshed, vec!["a"]);
        assert_eq!(r.evicted, vec!["b"]);
        inner.down.store(true, Ordering::SeqCst);
        let r = c.refresh().await;
        assert_eq!(
            r.kept_stale,
            vec![("a".to_string(), "KEY_BACKEND_UNAVAILABLE")]
        );
        assert!(c.cached("a").is_some());
        // A miss while the backend is down is an error, not a stale key.
        assert_eq!(
            c.resolve("z").await.unwrap_err().code(),
            "KEY_BACKEND_UNAVAILABLE"
        );
    }

    #[tokio::test]
    async fn refresher_runs_and_stops_with_the_cache() {
        let inner = Arc::new(Counting::default());
        let c = Arc::new(CachingResolver::new(inner.clone(), CacheOptions::default()));
        c.preload(["a"]).await.unwrap();
        let h = c.spawn_refresher(Duration::from_millis(20));
        let mut waited = 0;
        while inner.calls.load(Ordering::SeqCst) < 3 && waited < 500 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += 1;
        }
        assert!(inner.calls.load(Ordering::SeqCst) >= 3);
        drop(c);
        tokio::time::timeout(Duration::from_secs(5), h)
            .await
            .unwrap()
            .unwrap();
    }
}
