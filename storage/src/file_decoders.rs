//! Every decoder of bytes the store reads back from its own files, behind
//! one entry point for the `storage_files` fuzz target (fuzz/) and the
//! property tests below. Files can be torn, zeroed or damaged, so each
//! decoder must answer `None` (or an error) for bytes it does not accept and
//! never panic; what it accepts must re-encode to what it decoded.
//!
//! Formats: the checkpoint ([`crate::checkpoint`]), consume-queue entries
//! ([`crate::consume_queue`]), key-index entries and sealed `.idx` units
//! (`key_index.rs`, `key_index_file.rs`), and the record checks of recovery
//! and reads (the record codec itself is `thrust-core`'s, fuzzed there).

use crate::checkpoint::Checkpoint;
use crate::config::BLOCK_BYTES;
use crate::consume_queue::{CqEntry, CQ_ENTRY_BYTES};
use crate::key_index::{KeyEntry, KEY_ENTRY_BYTES};
use crate::key_index_file::{sealed_footer_of_image, SealedFooter};

/// What [`decode_file_bytes`] accepted (for tests and fuzz statistics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodedCounts {
    pub checkpoint: bool,
    pub queue_entries: usize,
    pub key_entries: usize,
    pub sealed_footer: bool,
    pub sealed_image: bool,
    pub record: bool,
}

/// Feeds `data` to every file decoder of the store and checks, with
/// asserts, that whatever a decoder accepts re-encodes consistently.
/// Never panics for any input unless a decoder or encoder is wrong.
pub fn decode_file_bytes(data: &[u8]) -> DecodedCounts {
    let mut counts = DecodedCounts::default();
    if let Some(checkpoint) = Checkpoint::decode(data) {
        let encoded = checkpoint.encode();
        assert_eq!(data.get(..encoded.len()), Some(&encoded[..]));
        counts.checkpoint = true;
    }
    for slot in data.chunks(CQ_ENTRY_BYTES) {
        let Some(entry) = CqEntry::decode(slot) else {
            assert!(slot.len() < CQ_ENTRY_BYTES, "a whole slot always decodes");
            continue;
        };
        let mut encoded = [0u8; CQ_ENTRY_BYTES];
        entry.encode(&mut encoded);
        assert_eq!(&encoded[..], slot);
        counts.queue_entries += 1;
        // A record's pair check against its entry (reads).
        let record_check = crate::read::check_record(data, &entry);
        assert!(record_check.is_err() || data.len() == entry.size as usize);
    }
    for slot in data.chunks(KEY_ENTRY_BYTES) {
        if let Some(entry) = KeyEntry::decode(slot) {
            let mut encoded = [0u8; KEY_ENTRY_BYTES];
            entry.encode(&mut encoded);
            assert_eq!(&encoded[..], slot);
            counts.key_entries += 1;
        }
    }
    if let Some(footer) = SealedFooter::decode(data) {
        assert_eq!(footer.encoded_len(), data.len());
        let mut encoded = vec![0u8; footer.encoded_len()];
        footer.encode(&mut encoded);
        assert_eq!(SealedFooter::decode(&encoded), Some(footer));
        counts.sealed_footer = true;
    }
    counts.sealed_image = decode_as_sealed_image(data);
    counts.record = decode_as_record(data);
    counts
}

/// `data` as the end of a `.idx` file: zero-padded in front to whole
/// blocks, so arbitrary lengths reach the trailer and footer checks.
fn decode_as_sealed_image(data: &[u8]) -> bool {
    let padded_bytes = data.len().div_ceil(BLOCK_BYTES).max(1) * BLOCK_BYTES;
    let mut image = vec![0u8; padded_bytes];
    let data_at = padded_bytes - data.len();
    image[data_at..].copy_from_slice(data);
    let Some(footer) = sealed_footer_of_image(&image) else {
        return false;
    };
    assert!(
        footer.fences.len() * BLOCK_BYTES < image.len(),
        "entry blocks of {} fences overrun a {}-byte image",
        footer.fences.len(),
        image.len()
    );
    true
}

/// `data` as a record found in the commit log by recovery, at the
/// physical offset the record itself claims (bytes 28..36) and at 0.
fn decode_as_record(data: &[u8]) -> bool {
    let claimed = data
        .get(28..36)
        .and_then(|bytes| bytes.try_into().ok())
        .map_or(0, i64::from_be_bytes);
    let mut accepted = false;
    for physical in [claimed, 0] {
        if let Some(view) = crate::recovery::validate_record(data, physical) {
            assert_eq!(view.total_size(), data.len());
            assert_eq!(view.physical_offset(), physical);
            accepted = true;
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::consume_queue::QueueKey;
    use crate::key_index::TimeRange;
    use crate::key_index_bloom::Bloom;
    use crate::key_index_file::build_sealed_image;

    fn checkpoint_strategy() -> impl Strategy<Value = Checkpoint> {
        let queue = (
            "[A-Za-z0-9_%|-]{0,40}|\\PC{0,8}",
            any::<i32>(),
            any::<i64>(),
        );
        (
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(queue, 0..20),
        )
            .prop_map(|(durable, behind, min, queues)| Checkpoint {
                durable_position: durable,
                queue_position: durable - behind % durable.saturating_add(1),
                min_position: min,
                queues: queues
                    .into_iter()
                    .map(|(topic, queue_id, offset)| {
                        let key = QueueKey {
                            topic: topic.as_str().into(),
                            queue_id,
                        };
                        (key, offset)
                    })
                    .collect(),
            })
    }

    fn key_entry_strategy() -> impl Strategy<Value = KeyEntry> {
        (any::<u64>(), 0..=i64::MAX, any::<i64>(), 1..=i32::MAX).prop_map(
            |(hash, physical_offset, store_timestamp_ms, size)| KeyEntry {
                hash,
                physical_offset,
                store_timestamp_ms,
                size,
            },
        )
    }

    fn sealed_footer_strategy() -> impl Strategy<Value = SealedFooter> {
        (any::<u64>(), 0u64..2000).prop_flat_map(|(segment_start, entry_count)| {
            let blocks = entry_count.div_ceil(128) as usize;
            let words = if entry_count == 0 { 0..1 } else { 1..40 };
            (
                proptest::collection::vec(any::<u64>(), blocks),
                proptest::collection::vec(any::<u64>(), words),
                key_entry_strategy(),
                any::<i64>(),
                any::<i64>(),
            )
                .prop_map(move |(mut fences, words, newest, a_ms, b_ms)| {
                    fences.sort_unstable();
                    let present = entry_count > 0;
                    SealedFooter {
                        segment_start,
                        entry_count,
                        time_range: present.then_some(TimeRange {
                            min_ms: a_ms.min(b_ms),
                            max_ms: a_ms.max(b_ms),
                        }),
                        newest: present.then_some(newest),
                        fences,
                        bloom: Bloom { words },
                    }
                })
        })
    }

    proptest! {
        #[test]
        fn checkpoint_decode_inverts_encode_with_or_without_padding(
            checkpoint in checkpoint_strategy(),
            padding_bytes in 0usize..5000,
        ) {
            let mut bytes = checkpoint.encode();
            prop_assert_eq!(Checkpoint::decode(&bytes), Some(checkpoint.clone()));
            bytes.resize(bytes.len() + padding_bytes, 0);
            prop_assert_eq!(Checkpoint::decode(&bytes), Some(checkpoint));
        }

        #[test]
        fn queue_entry_decode_inverts_encode(
            physical_offset in any::<i64>(),
            size in any::<i32>(),
            tags_code in any::<i64>(),
        ) {
            let entry = CqEntry { physical_offset, size, tags_code };
            let mut bytes = [0u8; CQ_ENTRY_BYTES];
            entry.encode(&mut bytes);
            prop_assert_eq!(CqEntry::decode(&bytes), Some(entry));
        }

        #[test]
        fn key_entry_decode_inverts_encode(entry in key_entry_strategy()) {
            let mut bytes = [0u8; KEY_ENTRY_BYTES];
            entry.encode(&mut bytes);
            prop_assert_eq!(KeyEntry::decode(&bytes), Some(entry));
        }

        #[test]
        fn sealed_footer_decode_inverts_encode(footer in sealed_footer_strategy()) {
            let mut bytes = vec![0u8; footer.encoded_len()];
            footer.encode(&mut bytes);
            prop_assert_eq!(SealedFooter::decode(&bytes), Some(footer));
        }

        #[test]
        fn sealed_image_opens_to_the_footer_it_was_built_with(
            segment_start in any::<u64>(),
            entries in proptest::collection::vec(key_entry_strategy(), 0..400),
        ) {
            let (image, footer) = build_sealed_image(segment_start, entries);
            prop_assert_eq!(sealed_footer_of_image(image.as_slice()), Some(footer));
        }

        #[test]
        fn arbitrary_file_bytes_never_panic_a_decoder(
            data in proptest::collection::vec(any::<u8>(), 0..9000),
        ) {
            decode_file_bytes(&data);
        }

        #[test]
        fn one_flipped_bit_never_yields_a_different_checkpoint(
            checkpoint in checkpoint_strategy(),
            bit in any::<prop::sample::Index>(),
        ) {
            let mut bytes = checkpoint.encode();
            let bit = bit.index(bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(Checkpoint::decode(&bytes), None);
        }
    }

    #[test]
    fn every_decoder_accepts_its_own_encoding() {
        let checkpoint = Checkpoint {
            durable_position: 9000,
            queue_position: 8000,
            min_position: 0,
            queues: Vec::new(),
        };
        assert!(decode_file_bytes(&checkpoint.encode()).checkpoint);
        let (image, footer) = build_sealed_image(0, Vec::new());
        let footer_bytes = &image.as_slice()[..footer.encoded_len()];
        assert!(decode_file_bytes(footer_bytes).sealed_footer);
        assert!(decode_file_bytes(image.as_slice()).sealed_image);
        let record = crate::testkit::encode_test_record("T", 0, b"body", None);
        let counts = decode_file_bytes(&record);
        assert_eq!(counts.queue_entries, record.len() / CQ_ENTRY_BYTES);
    }
}
