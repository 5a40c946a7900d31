//! Global physical offsets: `(shard_id << 48) | position_in_shard_log`.
//!
//! A record's PHYSICALOFFSET field, its consume-queue entry and its offset
//! message id all carry the global value, so a VIEW_MESSAGE_BY_ID can be
//! routed to the owning shard from the id alone. Positions are byte
//! positions in one shard's commit log and stay below 2^48 (256 TiB).

/// Bits of a physical offset that hold the position inside a shard's log.
pub const POSITION_BITS: u32 = 48;
/// Largest position a shard log may reach.
pub const POSITION_MAX: u64 = (1u64 << POSITION_BITS) - 1;
/// Largest shard id that keeps the global offset positive (i64).
pub const SHARD_ID_MAX: u16 = (1u16 << (63 - POSITION_BITS)) - 1;

const _: () = assert!(POSITION_BITS + 15 == 63);

/// A shard id, 0-based; at most [`SHARD_ID_MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(pub u16);

/// A global physical offset as stored in records and consume queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhysicalOffset(pub i64);

impl PhysicalOffset {
    /// Builds the offset of `position` in shard `shard`'s log.
    pub fn new(shard: ShardId, position: u64) -> PhysicalOffset {
        assert!(
            shard.0 <= SHARD_ID_MAX,
            "shard id {} over {}",
            shard.0,
            SHARD_ID_MAX
        );
        assert!(
            position <= POSITION_MAX,
            "position {position} over {POSITION_MAX}"
        );
        let value = (u64::from(shard.0) << POSITION_BITS) | position;
        PhysicalOffset(value as i64)
    }

    /// Splits a value that came from a peer; `None` if it is negative.
    pub fn from_raw(value: i64) -> Option<PhysicalOffset> {
        (value >= 0).then_some(PhysicalOffset(value))
    }

    /// The shard whose log holds this offset.
    pub fn shard(self) -> ShardId {
        shard_of(self.0)
    }

    /// The byte position in that shard's log.
    pub fn position(self) -> u64 {
        position_of(self.0)
    }
}

/// The shard named by a (non-negative) global physical offset.
pub fn shard_of(physical_offset: i64) -> ShardId {
    ShardId(((physical_offset as u64) >> POSITION_BITS) as u16 & SHARD_ID_MAX)
}

/// The position in its shard's log named by a global physical offset.
pub fn position_of(physical_offset: i64) -> u64 {
    (physical_offset as u64) & POSITION_MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_and_position_round_trip() {
        let offset = PhysicalOffset::new(ShardId(3), 123_456_789);
        assert!(offset.0 > 0);
        assert_eq!(offset.shard(), ShardId(3));
        assert_eq!(offset.position(), 123_456_789);
        assert_eq!(shard_of(offset.0), ShardId(3));
        assert_eq!(position_of(offset.0), 123_456_789);
    }

    #[test]
    fn largest_shard_keeps_offset_positive() {
        let offset = PhysicalOffset::new(ShardId(SHARD_ID_MAX), POSITION_MAX);
        assert!(offset.0 > 0);
        assert_eq!(offset.shard(), ShardId(SHARD_ID_MAX));
    }

    #[test]
    fn negative_raw_offset_is_rejected() {
        assert!(PhysicalOffset::from_raw(-1).is_none());
    }
}
