//! The in-memory de-duplication store.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{DedupStore, EventKey, StoreError};

/// How long [`MemoryDedupStore::new`] remembers an event: 24 hours, longer than a sender keeps
/// retrying one delivery.
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How many events [`MemoryDedupStore::new`] remembers at most: 100,000 (about 20 MB at the
/// most; the oldest are forgotten first).
pub const DEFAULT_DEDUP_CAPACITY: usize = 100_000;

/// The default [`DedupStore`]: the keys seen in the last `ttl`, at most `capacity` of them, in
/// this process's memory.
///
/// Check and insert happen under one lock, so concurrent deliveries of one event find exactly
/// one of them new. Memory is bounded twice: expired keys are dropped on every insert, and
/// past `capacity` the oldest key is forgotten (a delivery repeated after that long is then
/// taken as new). The clock is tokio's, so a test can pause and advance it.
///
/// It does not survive a restart and is not shared between processes: behind a load balancer,
/// or where a repeat after a restart matters, implement [`DedupStore`] over a shared store.
///
/// ```
/// use std::time::Duration;
/// use sparkbot_extras::receiver::{EventKey, MemoryDedupStore};
///
/// let store = MemoryDedupStore::new()
///     .with_ttl(Duration::from_secs(3600))
///     .with_capacity(10_000);
/// let key = EventKey::new("message:in:new", "3EB0A1", None);
/// assert!(store.insert_now(&key));
/// assert!(!store.insert_now(&key));
/// assert_eq!(store.len(), 1);
/// ```
pub struct MemoryDedupStore {
    ttl: Duration,
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Each live key and when it was inserted.
    seen: HashMap<Arc<EventKey>, Instant>,
    /// The same keys in insertion order (so oldest first, and expiring first).
    order: VecDeque<(Arc<EventKey>, Instant)>,
}

impl State {
    /// Forgets the oldest key, if `seen` still holds it from that insertion.
    fn pop_oldest(&mut self) {
        if let Some((key, at)) = self.order.pop_front()
            && self.seen.get(&key) == Some(&at)
        {
            self.seen.remove(&key);
        }
    }
}

impl std::fmt::Debug for MemoryDedupStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryDedupStore")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for MemoryDedupStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryDedupStore {
    /// A store with [`DEFAULT_DEDUP_TTL`] and [`DEFAULT_DEDUP_CAPACITY`].
    pub fn new() -> Self {
        Self {
            ttl: DEFAULT_DEDUP_TTL,
            capacity: DEFAULT_DEDUP_CAPACITY,
            state: Mutex::new(State::default()),
        }
    }

    /// How long a key is remembered.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How many keys are remembered at most (at least 1).
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Records `key` now; `true` if it is new (not seen within the time-to-live, or forgotten
    /// for room). Atomic: one lock covers the check and the insert.
    pub fn insert_now(&self, key: &EventKey) -> bool {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state
            .order
            .front()
            .is_some_and(|(_, at)| now.saturating_duration_since(*at) >= self.ttl)
        {
            state.pop_oldest();
        }
        if state.seen.contains_key(key) {
            return false;
        }
        let key = Arc::new(key.clone());
        state.seen.insert(Arc::clone(&key), now);
        state.order.push_back((key, now));
        while state.seen.len() > self.capacity {
            state.pop_oldest();
        }
        true
    }

    /// How many keys are remembered (expired ones go at the next insert).
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seen
            .len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DedupStore for MemoryDedupStore {
    fn insert(&self, key: &EventKey) -> impl Future<Output = Result<bool, StoreError>> + Send {
        std::future::ready(Ok(self.insert_now(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> EventKey {
        EventKey::new("message:in:new", id, None)
    }

    #[tokio::test(start_paused = true)]
    async fn keys_expire_after_the_ttl() {
        let store = MemoryDedupStore::new().with_ttl(Duration::from_secs(60));
        assert!(store.insert_now(&key("a")));
        tokio::time::advance(Duration::from_secs(59)).await;
        assert!(
            !store.insert_now(&key("a")),
            "still remembered before the TTL"
        );
        assert!(store.insert_now(&key("b")));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(store.insert_now(&key("a")), "forgotten at the TTL");
        assert_eq!(store.len(), 2, "`a` again and `b`");
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(store.insert_now(&key("c")));
        assert_eq!(store.len(), 1, "expired keys are dropped on insert");
    }

    #[test]
    fn the_oldest_key_makes_room() {
        let store = MemoryDedupStore::new().with_capacity(2);
        assert!(store.insert_now(&key("a")));
        assert!(store.insert_now(&key("b")));
        assert!(store.insert_now(&key("c")));
        assert_eq!(store.len(), 2);
        assert!(!store.insert_now(&key("c")));
        assert!(!store.insert_now(&key("b")));
        assert!(store.insert_now(&key("a")), "`a` was forgotten for room");
        assert_eq!(store.len(), 2);
        let state = store.state.lock().unwrap();
        assert_eq!(state.order.len(), 2, "the order queue is bounded too");
    }

    #[test]
    fn concurrent_inserts_of_one_key_find_it_new_once() {
        let store = Arc::new(MemoryDedupStore::new());
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..1000)
                        .filter(|i| store.insert_now(&key(&i.to_string())))
                        .count()
                })
            })
            .collect();
        let new: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(new, 1000, "each of the 1000 keys is new exactly once");
    }
}
