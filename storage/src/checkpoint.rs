//! The checkpoint: which part of the derived data (consume queues) is on
//! disk, so recovery only rescans the commit log past it.
//!
//! File `<shard>/checkpoint`, replaced atomically (written to
//! `checkpoint.tmp`, synced, renamed, directory synced). Big-endian:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic `THCP` |
//! | 4 | 4 | version (1) |
//! | 8 | 8 | commit log durable position when written |
//! | 16 | 8 | `queue_position`: every consume-queue entry of a record below it is on disk |
//! | 24 | 8 | commit log minimum position |
//! | 32 | 4 | queue count n |
//! | 36 | .. | n × (u16 topic length, topic, i32 queue id, i64 trusted entry count as max offset) |
//! | end | 4 | crc32c of all bytes before it |
//!
//! The file is zero-padded to 4 KiB blocks (O_DIRECT); the length is
//! implied by the queue count.

use crate::consume_queue::QueueKey;

const MAGIC: [u8; 4] = *b"THCP";
const VERSION: u32 = 1;
const HEADER_BYTES: usize = 36;
const CRC_BYTES: usize = 4;

/// Decoded checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub durable_position: u64,
    pub queue_position: u64,
    pub min_position: u64,
    /// Per queue: the offset below which its file entries are trusted.
    pub queues: Vec<(QueueKey, i64)>,
}

impl Checkpoint {
    /// Encodes, unpadded.
    pub fn encode(&self) -> Vec<u8> {
        assert!(
            self.queue_position <= self.durable_position,
            "queue position past durable"
        );
        let mut out = Vec::with_capacity(HEADER_BYTES + self.queues.len() * 32 + CRC_BYTES);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&self.durable_position.to_be_bytes());
        out.extend_from_slice(&self.queue_position.to_be_bytes());
        out.extend_from_slice(&self.min_position.to_be_bytes());
        out.extend_from_slice(&(self.queues.len() as u32).to_be_bytes());
        for (key, offset) in &self.queues {
            let topic = key.topic.as_bytes();
            assert!(
                topic.len() <= usize::from(u16::MAX),
                "topic of {} bytes",
                topic.len()
            );
            out.extend_from_slice(&(topic.len() as u16).to_be_bytes());
            out.extend_from_slice(topic);
            out.extend_from_slice(&key.queue_id.to_be_bytes());
            out.extend_from_slice(&offset.to_be_bytes());
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    /// Decodes; `None` if the bytes are not a whole, valid checkpoint.
    pub fn decode(bytes: &[u8]) -> Option<Checkpoint> {
        let mut reader = Reader { bytes, position: 0 };
        if reader.take(4)? != MAGIC || reader.u32()? != VERSION {
            return None;
        }
        let durable_position = reader.u64()?;
        let queue_position = reader.u64()?;
        let min_position = reader.u64()?;
        let count = reader.u32()?;
        let mut queues = Vec::new();
        for _ in 0..count {
            let topic_len = usize::from(u16::from_be_bytes(reader.take(2)?.try_into().ok()?));
            let topic = std::str::from_utf8(reader.take(topic_len)?).ok()?;
            let queue_id = reader.u32()? as i32;
            let offset = reader.u64()? as i64;
            queues.push((
                QueueKey {
                    topic: topic.into(),
                    queue_id,
                },
                offset,
            ));
        }
        let body_end = reader.position;
        let crc = reader.u32()?;
        if crc32c::crc32c(bytes.get(..body_end)?) != crc || queue_position > durable_position {
            return None;
        }
        Some(Checkpoint {
            durable_position,
            queue_position,
            min_position,
            queues,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.position.checked_add(len)?;
        let slice = self.bytes.get(self.position..end)?;
        self.position = end;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            durable_position: 9000,
            queue_position: 8000,
            min_position: 0,
            queues: vec![(
                QueueKey {
                    topic: "TopicTest".into(),
                    queue_id: 3,
                },
                17,
            )],
        }
    }

    #[test]
    fn checkpoint_round_trips_with_padding() {
        let mut bytes = sample().encode();
        bytes.resize(4096, 0);
        assert_eq!(Checkpoint::decode(&bytes), Some(sample()));
    }

    #[test]
    fn flipped_bit_is_detected() {
        let mut bytes = sample().encode();
        bytes[20] ^= 1;
        assert_eq!(Checkpoint::decode(&bytes), None);
        let bytes = sample().encode();
        assert_eq!(Checkpoint::decode(&bytes[..bytes.len() - 1]), None);
    }
}
