//! Which shard owns a MessageQueue.
//!
//! `owner(topic, queue_id) = (fnv1a32(topic) + queue_id) % shards`: stable
//! across restarts (the store of a queue lives in its owner's directory, so
//! the function must never change for a given shard count), and a topic's
//! consecutive queues land on consecutive shards, so 8 queues over 2 shards
//! are 4 and 4.

/// Index of a shard, `0..shards`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(pub u16);

impl ShardId {
    /// The shard as a vector index.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

const FNV_OFFSET_BASIS: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// FNV-1a over the topic's UTF-8 bytes.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(FNV_OFFSET_BASIS, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// The shard owning `(topic, queue_id)` among `shards` shards.
pub fn owner(topic: &str, queue_id: u32, shards: usize) -> ShardId {
    assert!(
        shards > 0 && shards <= usize::from(u16::MAX),
        "shards {shards}"
    );
    let spread = u64::from(fnv1a32(topic.as_bytes())) + u64::from(queue_id);
    // The modulo is below `shards`, which fits u16 (asserted above).
    ShardId((spread % shards as u64) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_queues_spread_evenly_over_shards() {
        for topic in ["TopicTest", "a", "%RETRY%cg", "x-y_z"] {
            let mut counts = [0usize; 2];
            for q in 0..8 {
                counts[owner(topic, q, 2).index()] += 1;
            }
            assert_eq!(counts, [4, 4], "{topic}");
        }
    }

    #[test]
    fn owner_is_stable_and_in_range() {
        assert_eq!(owner("TopicTest", 3, 4), owner("TopicTest", 3, 4));
        for q in 0..64 {
            assert!(owner("T", q, 3).index() < 3);
            assert_eq!(owner("T", q, 1), ShardId(0));
        }
        assert_eq!(fnv1a32(b""), FNV_OFFSET_BASIS);
    }
}
