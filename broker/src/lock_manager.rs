//! Queue locks of orderly consumers (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ).
//!
//! Owned by shard 0 (lock traffic is a few requests per client every 20 s).
//! A lock is held by one client id per (group, queue) and expires 60 s after
//! its last renewal (`rocketmq.broker.rebalance.lockMaxLiveTime`).

use std::collections::{BTreeSet, HashMap};

/// Apache's lock lifetime.
pub const LOCK_LIFETIME_MS: i64 = 60_000;

/// A MessageQueue as named in lock bodies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueName {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
}

#[derive(Debug, Clone)]
struct Lock {
    client_id: String,
    last_update_ms: i64,
}

impl Lock {
    fn expired(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.last_update_ms) > LOCK_LIFETIME_MS
    }
}

/// All queue locks (shard 0).
#[derive(Debug, Default)]
pub struct LockManager {
    groups: HashMap<String, HashMap<QueueName, Lock>>,
}

impl LockManager {
    /// Locks (or renews) each queue free, expired or already held by
    /// `client_id`; returns the subset now held by `client_id`.
    pub fn lock_batch(
        &mut self,
        group: &str,
        queues: &[QueueName],
        client_id: &str,
        now_ms: i64,
    ) -> BTreeSet<QueueName> {
        let locks = self.groups.entry(group.to_string()).or_default();
        let mut granted = BTreeSet::new();
        for queue in queues {
            let free = match locks.get(queue) {
                None => true,
                Some(lock) => lock.client_id == client_id || lock.expired(now_ms),
            };
            if free {
                let lock = Lock {
                    client_id: client_id.to_string(),
                    last_update_ms: now_ms,
                };
                locks.insert(queue.clone(), lock);
                granted.insert(queue.clone());
            }
        }
        granted
    }

    /// Releases the queues held by `client_id`; others' locks are kept.
    pub fn unlock_batch(&mut self, group: &str, queues: &[QueueName], client_id: &str) {
        let Some(locks) = self.groups.get_mut(group) else {
            return;
        };
        for queue in queues {
            if locks
                .get(queue)
                .map(|l| l.client_id == client_id)
                .unwrap_or(false)
            {
                locks.remove(queue);
            }
        }
        if locks.is_empty() {
            self.groups.remove(group);
        }
    }

    /// Whether `group` holds any unexpired lock (retry sends then go to DLQ).
    pub fn group_holds_locks(&self, group: &str, now_ms: i64) -> bool {
        self.groups
            .get(group)
            .map(|l| l.values().any(|l| !l.expired(now_ms)))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i32) -> QueueName {
        QueueName {
            topic: "T".to_string(),
            broker_name: "b".to_string(),
            queue_id: id,
        }
    }

    #[test]
    fn held_lock_is_refused_to_others_until_it_expires() {
        let mut m = LockManager::default();
        assert_eq!(m.lock_batch("g", &[q(0), q(1)], "c1", 0).len(), 2);
        let got = m.lock_batch("g", &[q(1), q(2)], "c2", 1000);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec![q(2)]);
        assert_eq!(m.lock_batch("g", &[q(0)], "c1", 30_000).len(), 1, "renewal");
        assert!(m.lock_batch("g", &[q(0)], "c2", 60_000).is_empty());
        assert_eq!(m.lock_batch("g", &[q(0)], "c2", 90_001).len(), 1, "expired");
        assert!(m.group_holds_locks("g", 90_001));
    }

    #[test]
    fn unlock_releases_only_own_locks() {
        let mut m = LockManager::default();
        m.lock_batch("g", &[q(0)], "c1", 0);
        m.unlock_batch("g", &[q(0)], "c2");
        assert!(m.lock_batch("g", &[q(0)], "c2", 1).is_empty());
        m.unlock_batch("g", &[q(0)], "c1");
        assert_eq!(m.lock_batch("g", &[q(0)], "c2", 2).len(), 1);
        assert!(!m.group_holds_locks("other", 2));
    }
}
