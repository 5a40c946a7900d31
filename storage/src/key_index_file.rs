//! Files of the key index (design in `key_index.rs`), in `<shard>/index/`.
//!
//! `<start>.keys`: the entries of an unsealed unit in append order, 32-byte
//! [`KeyEntry`] slots from byte 0, 128 per 4 KiB block, no header. Written
//! by whole blocks (the partial tail block is rewritten, zero-padded, until
//! it fills); a slot whose CRC fails ends the valid part.
//!
//! `<start>.idx`: a sealed unit, big-endian:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | n × 4096 | entries sorted by (hash, physical offset), zero-padded |
//! | F = n × 4096 | 4 | footer: magic `THKI` |
//! | F + 4 | 4 | version (1) |
//! | F + 8 | 8 | segment start position |
//! | F + 16 | 8 | entry count |
//! | F + 24 | 8 | min store timestamp (ms) |
//! | F + 32 | 8 | max store timestamp (ms) |
//! | F + 40 | 32 | newest entry (highest position), a [`KeyEntry`] slot; zeros if none |
//! | F + 72 | 4 | fence count = n |
//! | F + 76 | 4 | Bloom filter words w (u64) |
//! | F + 80 | 8 × n | fences: the first hash of each entry block |
//! | F + 80 + 8n | 8 × w | Bloom filter bits over the entries' hashes (`Bloom`) |
//! | F + 80 + 8n + 8w | 4 | crc32c of the footer bytes before it |
//! | size − 8 | 4 | footer length in bytes (84 + 8n + 8w) |
//! | size − 4 | 4 | magic `THKI` |
//!
//! Zero padding fills the gap between the footer and the trailer, so the
//! file is whole blocks. An `.idx` is written as `.idx.tmp`, synced and
//! renamed: one that exists is complete. Entry slots carry their own CRC,
//! checked on every lookup read; the footer CRC is checked at open.

use std::path::Path;
use std::rc::Rc;

use crate::aligned_buf::AlignedBuf;
use crate::backend::{Backend, BackendFile};
use crate::chunk::align_up;
use crate::commit_log::FLUSH_WRITE_BYTES_MAX;
use crate::config::{BLOCK_BYTES, BLOCK_BYTES_U64};
use crate::error::{StorageError, StorageResult};
use crate::key_index::{
    idx_path, idx_temporary_path, Bloom, KeyEntry, SealedUnit, TimeRange, ENTRIES_PER_BLOCK,
    KEY_ENTRY_BYTES,
};
use crate::physical_offset::{position_of, shard_of, ShardId};

const MAGIC: [u8; 4] = *b"THKI";
const VERSION: u32 = 1;
const SEGMENT_START_AT: usize = 8;
const ENTRY_COUNT_AT: usize = SEGMENT_START_AT + 8;
const MIN_TIME_AT: usize = ENTRY_COUNT_AT + 8;
const MAX_TIME_AT: usize = MIN_TIME_AT + 8;
const NEWEST_AT: usize = MAX_TIME_AT + 8;
const FENCE_COUNT_AT: usize = NEWEST_AT + KEY_ENTRY_BYTES;
const BLOOM_WORDS_AT: usize = FENCE_COUNT_AT + 4;
const FENCES_AT: usize = BLOOM_WORDS_AT + 4;
const FOOTER_FIXED_BYTES: usize = FENCES_AT + 4;
const TRAILER_BYTES: usize = 8;
const _: () = assert!(FENCES_AT == 80 && FOOTER_FIXED_BYTES == 84);

/// Bytes read at a time while loading a `.keys` file.
const LOAD_READ_BYTES: usize = 1 << 20;
const _: () = assert!(LOAD_READ_BYTES % BLOCK_BYTES == 0);

/// The footer of a sealed unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SealedFooter {
    pub segment_start: u64,
    pub entry_count: u64,
    pub time_range: Option<TimeRange>,
    pub newest: Option<KeyEntry>,
    pub fences: Vec<u64>,
    pub bloom: Bloom,
}

impl SealedFooter {
    pub(crate) fn encoded_len(&self) -> usize {
        FOOTER_FIXED_BYTES + 8 * self.fences.len() + 8 * self.bloom.words.len()
    }

    pub(crate) fn encode(&self, out: &mut [u8]) {
        assert_eq!(out.len(), self.encoded_len(), "footer buffer size");
        let (min_ms, max_ms) = self
            .time_range
            .map_or((i64::MAX, i64::MIN), |range| (range.min_ms, range.max_ms));
        out[..4].copy_from_slice(&MAGIC);
        out[4..8].copy_from_slice(&VERSION.to_be_bytes());
        out[SEGMENT_START_AT..ENTRY_COUNT_AT].copy_from_slice(&self.segment_start.to_be_bytes());
        out[ENTRY_COUNT_AT..MIN_TIME_AT].copy_from_slice(&self.entry_count.to_be_bytes());
        out[MIN_TIME_AT..MAX_TIME_AT].copy_from_slice(&min_ms.to_be_bytes());
        out[MAX_TIME_AT..NEWEST_AT].copy_from_slice(&max_ms.to_be_bytes());
        if let Some(newest) = &self.newest {
            newest.encode(&mut out[NEWEST_AT..FENCE_COUNT_AT]);
        }
        let fence_count = self.fences.len() as u32;
        out[FENCE_COUNT_AT..BLOOM_WORDS_AT].copy_from_slice(&fence_count.to_be_bytes());
        let bloom_words = self.bloom.words.len() as u32;
        out[BLOOM_WORDS_AT..FENCES_AT].copy_from_slice(&bloom_words.to_be_bytes());
        let words = self.fences.iter().chain(&self.bloom.words);
        for (index, word) in words.enumerate() {
            let at = FENCES_AT + 8 * index;
            out[at..at + 8].copy_from_slice(&word.to_be_bytes());
        }
        let crc_at = out.len() - 4;
        let crc = crc32c::crc32c(&out[..crc_at]);
        out[crc_at..].copy_from_slice(&crc.to_be_bytes());
    }

    /// Decodes a footer of exactly its length; `None` if anything is off.
    pub(crate) fn decode(bytes: &[u8]) -> Option<SealedFooter> {
        let u64_at = |at: usize| Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
        let u32_at = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        if bytes.get(..4)? != MAGIC || u32_at(4)? != VERSION {
            return None;
        }
        let fence_count = u32_at(FENCE_COUNT_AT)? as usize;
        let bloom_words = u32_at(BLOOM_WORDS_AT)? as usize;
        let words = fence_count.checked_add(bloom_words)?;
        let crc_at = FENCES_AT.checked_add(words.checked_mul(8)?)?;
        if bytes.len() != crc_at.checked_add(4)? {
            return None;
        }
        if crc32c::crc32c(bytes.get(..crc_at)?) != u32_at(crc_at)? {
            return None;
        }
        let segment_start = u64_at(SEGMENT_START_AT)?;
        let entry_count = u64_at(ENTRY_COUNT_AT)?;
        let (min_ms, max_ms) = (u64_at(MIN_TIME_AT)? as i64, u64_at(MAX_TIME_AT)? as i64);
        let newest_slot = bytes.get(NEWEST_AT..FENCE_COUNT_AT)?;
        let newest = KeyEntry::decode(newest_slot);
        let fences: Vec<u64> = (0..fence_count)
            .map(|index| u64_at(FENCES_AT + 8 * index))
            .collect::<Option<_>>()?;
        let bloom_words: Vec<u64> = (fence_count..words)
            .map(|index| u64_at(FENCES_AT + 8 * index))
            .collect::<Option<_>>()?;
        let blocks_needed = entry_count.div_ceil(ENTRIES_PER_BLOCK as u64);
        let consistent = blocks_needed == fence_count as u64
            && fences.windows(2).all(|pair| pair[0] <= pair[1])
            && (entry_count == 0) == newest.is_none()
            && (entry_count == 0) == bloom_words.is_empty()
            && (entry_count == 0 || min_ms <= max_ms);
        consistent.then(|| SealedFooter {
            segment_start,
            entry_count,
            time_range: (entry_count > 0).then_some(TimeRange { min_ms, max_ms }),
            newest,
            fences,
            bloom: Bloom { words: bloom_words },
        })
    }
}

/// Sorts `entries` and lays out a whole `.idx` file; returns its bytes and
/// footer.
pub(crate) fn build_sealed_image(
    segment_start: u64,
    mut entries: Vec<KeyEntry>,
) -> (AlignedBuf, SealedFooter) {
    let newest = entries
        .iter()
        .max_by_key(|entry| entry.physical_offset)
        .copied();
    let mut time_range = None;
    for entry in &entries {
        let time = entry.store_timestamp_ms;
        let range = time_range.get_or_insert(TimeRange {
            min_ms: time,
            max_ms: time,
        });
        range.min_ms = range.min_ms.min(time);
        range.max_ms = range.max_ms.max(time);
    }
    entries.sort_unstable_by_key(|entry| (entry.hash, entry.physical_offset));
    let blocks = entries.len().div_ceil(ENTRIES_PER_BLOCK);
    let fences: Vec<u64> = entries
        .chunks(ENTRIES_PER_BLOCK)
        .map(|block| block[0].hash)
        .collect();
    let bloom = Bloom::build(entries.len(), entries.iter().map(|entry| entry.hash));
    let footer = SealedFooter {
        segment_start,
        entry_count: entries.len() as u64,
        time_range,
        newest,
        fences,
        bloom,
    };
    let footer_bytes = footer.encoded_len();
    let footer_blocks = (footer_bytes + TRAILER_BYTES).div_ceil(BLOCK_BYTES);
    let mut image = AlignedBuf::zeroed((blocks + footer_blocks) * BLOCK_BYTES);
    let out = image.as_mut_slice();
    for (index, entry) in entries.iter().enumerate() {
        let at = index * KEY_ENTRY_BYTES;
        entry.encode(&mut out[at..at + KEY_ENTRY_BYTES]);
    }
    let footer_at = blocks * BLOCK_BYTES;
    footer.encode(&mut out[footer_at..footer_at + footer_bytes]);
    let trailer_at = out.len() - TRAILER_BYTES;
    out[trailer_at..trailer_at + 4].copy_from_slice(&(footer_bytes as u32).to_be_bytes());
    out[trailer_at + 4..].copy_from_slice(&MAGIC);
    assert_eq!(footer.fences.len(), blocks, "one fence per entry block");
    (image, footer)
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.display().to_string();
    move |error| StorageError::io(operation, path, error)
}

/// Removes `path`; a missing file is fine.
pub(crate) async fn remove_if_present(backend: &Rc<dyn Backend>, path: &Path) -> StorageResult<()> {
    match backend.remove_file(path).await {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(StorageError::io("remove index file", path.display(), error)),
    }
}

/// Writes the sealed unit of `entries` as `<start>.idx` (temporary file,
/// fsync, rename, directory sync) and opens it. The caller then deletes the
/// unit's `.keys`. CPU: one sort of the entries (about 0.1 s for 2 M).
///
/// # Errors
/// The I/O error of any step.
pub(crate) async fn write_sealed(
    backend: &Rc<dyn Backend>,
    dir: &Path,
    segment_start: u64,
    entries: Vec<KeyEntry>,
) -> StorageResult<SealedUnit> {
    let (image, footer) = build_sealed_image(segment_start, entries);
    let temporary = idx_temporary_path(dir, segment_start);
    let path = idx_path(dir, segment_start);
    // A leftover from a failed seal may be longer than this image.
    remove_if_present(backend, &temporary).await?;
    let file = backend
        .open(&temporary, true)
        .await
        .map_err(io_error("create index", &temporary))?;
    let data = image.as_slice();
    let mut position = 0usize;
    while position < data.len() {
        let end = (position + FLUSH_WRITE_BYTES_MAX as usize).min(data.len());
        file.write_at(position as u64, &data[position..end])
            .await
            .map_err(io_error("write index", &temporary))?;
        position = end;
    }
    file.sync()
        .await
        .map_err(io_error("fdatasync index", &temporary))?;
    drop(file);
    backend
        .rename(&temporary, &path)
        .await
        .map_err(io_error("rename index", &path))?;
    backend
        .sync_dir(dir)
        .await
        .map_err(io_error("sync index dir", dir))?;
    let file = backend
        .open(&path, false)
        .await
        .map_err(io_error("open index", &path))?;
    Ok(sealed_unit(file, footer))
}

fn sealed_unit(file: Rc<dyn BackendFile>, footer: SealedFooter) -> SealedUnit {
    SealedUnit {
        file,
        entry_count: footer.entry_count,
        time_range: footer.time_range,
        fences: footer.fences,
        bloom: footer.bloom,
        newest: footer.newest,
    }
}

/// Opens `<start>.idx` and checks its footer; `None` (logged) if the file
/// is missing, torn or not a whole index of this segment.
pub(crate) async fn open_sealed(
    backend: &Rc<dyn Backend>,
    dir: &Path,
    segment_start: u64,
) -> Option<SealedUnit> {
    let path = idx_path(dir, segment_start);
    let opened = backend.open(&path, false).await;
    let file = match opened {
        Ok(file) => file,
        Err(error) => {
            log::warn!("key index {} unusable: {error}", path.display());
            return None;
        }
    };
    match read_footer(&file).await {
        Ok(Some(footer)) if footer.segment_start == segment_start => {
            Some(sealed_unit(file, footer))
        }
        Ok(_) => {
            log::warn!(
                "key index {} is torn or invalid: rebuilding",
                path.display()
            );
            None
        }
        Err(error) => {
            log::warn!(
                "key index {} unreadable ({error}): rebuilding",
                path.display()
            );
            None
        }
    }
}

async fn read_footer(file: &Rc<dyn BackendFile>) -> std::io::Result<Option<SealedFooter>> {
    let size = file.size().await?;
    if size < BLOCK_BYTES_U64 || size % BLOCK_BYTES_U64 != 0 {
        return Ok(None);
    }
    let last = file.read_at(size - BLOCK_BYTES_U64, BLOCK_BYTES).await?;
    let Some(footer_bytes) = trailer_footer_bytes(&last) else {
        return Ok(None);
    };
    let Some((footer_at, region_bytes)) = footer_region(size, footer_bytes) else {
        return Ok(None);
    };
    let region = file.read_at(footer_at, region_bytes as usize).await?;
    Ok(footer_in_region(&region, footer_bytes, footer_at))
}

/// The footer length (bytes) announced by the trailer at the end of a
/// sealed unit's last block; `None` if the block is short or the trailer
/// magic is wrong.
fn trailer_footer_bytes(last_block: &[u8]) -> Option<u64> {
    let trailer = last_block.get(BLOCK_BYTES - TRAILER_BYTES..BLOCK_BYTES)?;
    let (length, magic) = trailer.split_at(4);
    if magic != MAGIC {
        return None;
    }
    let length: [u8; 4] = length.try_into().ok()?;
    Some(u64::from(u32::from_be_bytes(length)))
}

/// Where the block-aligned region holding a footer of `footer_bytes` and
/// the trailer starts in a file of `size` bytes, and its length.
fn footer_region(size: u64, footer_bytes: u64) -> Option<(u64, u64)> {
    let region_bytes = align_up(footer_bytes.checked_add(TRAILER_BYTES as u64)?);
    Some((size.checked_sub(region_bytes)?, region_bytes))
}

/// Decodes the footer at the start of `region` (read at `footer_at`) and
/// checks that the entry blocks it describes end exactly where it starts.
fn footer_in_region(region: &[u8], footer_bytes: u64, footer_at: u64) -> Option<SealedFooter> {
    let footer = region.get(..usize::try_from(footer_bytes).ok()?)?;
    let footer = SealedFooter::decode(footer)?;
    let entry_bytes = (footer.fences.len() as u64).checked_mul(BLOCK_BYTES_U64)?;
    (entry_bytes == footer_at).then_some(footer)
}

/// The footer of a whole `.idx` image held in memory, with the checks of
/// opening one from disk (for fuzzing and tests); `None` if invalid.
pub(crate) fn sealed_footer_of_image(image: &[u8]) -> Option<SealedFooter> {
    let size = image.len() as u64;
    if size < BLOCK_BYTES_U64 || size % BLOCK_BYTES_U64 != 0 {
        return None;
    }
    let last_block = image.get(image.len().checked_sub(BLOCK_BYTES)?..)?;
    let footer_bytes = trailer_footer_bytes(last_block)?;
    let (footer_at, region_bytes) = footer_region(size, footer_bytes)?;
    assert_eq!(
        footer_at + region_bytes,
        size,
        "footer region ends the file"
    );
    let region = image.get(usize::try_from(footer_at).ok()?..)?;
    footer_in_region(region, footer_bytes, footer_at)
}

/// Reads entry blocks `[low, high)` of a sealed unit; returns the valid
/// entries in file order and how many slots failed their CRC.
pub(crate) async fn read_sealed_blocks(
    unit_file: &Rc<dyn BackendFile>,
    entry_count: u64,
    low: usize,
    high: usize,
) -> std::io::Result<(Vec<KeyEntry>, usize)> {
    assert!(low < high, "sealed block range [{low}, {high})");
    let bytes = unit_file
        .read_at(low as u64 * BLOCK_BYTES_U64, (high - low) * BLOCK_BYTES)
        .await?;
    let first_slot = low * ENTRIES_PER_BLOCK;
    let slots = (entry_count as usize).saturating_sub(first_slot);
    let mut entries = Vec::with_capacity(slots.min((high - low) * ENTRIES_PER_BLOCK));
    let mut damaged = 0;
    for slot in bytes.chunks_exact(KEY_ENTRY_BYTES).take(slots) {
        match KeyEntry::decode(slot) {
            Some(entry) => entries.push(entry),
            None => damaged += 1,
        }
    }
    Ok((entries, damaged))
}

/// What [`load_keys`] found in a `.keys` file.
pub(crate) struct LoadedKeys {
    /// The valid prefix: entries in order, inside the segment, positions
    /// not going back, below the scan start.
    pub entries: Vec<KeyEntry>,
    pub file_bytes: u64,
    /// The prefix ended at a slot that is neither zeros, nor a valid entry
    /// at or past the scan start: the file is damaged and cannot be trusted
    /// to hold every entry below the scan start.
    pub damaged: bool,
}

/// Loads the valid prefix of a `.keys` file (see [`LoadedKeys`]); entries
/// at or past `position_end` (the scan start) are not vouched for by the
/// checkpoint and end the prefix.
///
/// # Errors
/// I/O errors of size and reads.
pub(crate) async fn load_keys(
    file: &Rc<dyn BackendFile>,
    segment_start: u64,
    segment_bytes: u64,
    position_end: u64,
    shard: ShardId,
) -> StorageResult<LoadedKeys> {
    let path = file.path().clone();
    let size = file.size().await.map_err(io_error("size", &path))?;
    let mut loaded = LoadedKeys {
        entries: Vec::new(),
        file_bytes: size,
        damaged: false,
    };
    let mut offset = 0u64;
    'read: while offset < size {
        let len = align_up((size - offset).min(LOAD_READ_BYTES as u64)) as usize;
        let bytes = file
            .read_at(offset, len)
            .await
            .map_err(io_error("read index", &path))?;
        if bytes.is_empty() {
            break;
        }
        for slot in bytes.chunks_exact(KEY_ENTRY_BYTES) {
            let Some(entry) = KeyEntry::decode(slot) else {
                loaded.damaged = slot.iter().any(|byte| *byte != 0);
                break 'read;
            };
            let position = position_of(entry.physical_offset);
            if position >= position_end && shard_of(entry.physical_offset) == shard {
                break 'read;
            }
            let in_segment = shard_of(entry.physical_offset) == shard
                && position >= segment_start
                && position < segment_start + segment_bytes;
            let ordered = loaded
                .entries
                .last()
                .map_or(true, |last| last.physical_offset <= entry.physical_offset);
            if !in_segment || !ordered {
                loaded.damaged = true;
                break 'read;
            }
            loaded.entries.push(entry);
        }
        offset += bytes.len() as u64;
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(count: usize) -> Vec<KeyEntry> {
        (0..count)
            .map(|index| KeyEntry {
                hash: (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) % 1000,
                physical_offset: index as i64 * 100,
                store_timestamp_ms: 5000 + index as i64,
                size: 100,
            })
            .collect()
    }

    #[test]
    fn sealed_image_footer_round_trips() {
        let (image, footer) = build_sealed_image(1 << 20, entries(300));
        assert_eq!(footer.fences.len(), 3);
        assert_eq!(footer.entry_count, 300);
        assert_eq!(footer.newest.map(|e| e.physical_offset), Some(29_900));
        let bytes = image.as_slice();
        let footer_at = 3 * BLOCK_BYTES;
        let footer_len = footer.encoded_len();
        let decoded = SealedFooter::decode(&bytes[footer_at..footer_at + footer_len]);
        assert_eq!(decoded.as_ref(), Some(&footer));
        let trailer = &bytes[bytes.len() - 8..];
        assert_eq!(trailer[..4], (footer_len as u32).to_be_bytes());
        let mut sorted = Vec::new();
        for slot in bytes[..footer_at].chunks_exact(KEY_ENTRY_BYTES).take(300) {
            sorted.push(KeyEntry::decode(slot).expect("valid slot"));
        }
        assert!(sorted
            .windows(2)
            .all(|p| (p[0].hash, p[0].physical_offset) <= (p[1].hash, p[1].physical_offset)));
        assert_eq!(sorted[128].hash, footer.fences[1]);
    }

    #[test]
    fn damaged_footer_is_rejected() {
        let (image, footer) = build_sealed_image(0, entries(10));
        let at = BLOCK_BYTES;
        let mut bytes = image.as_slice()[at..at + footer.encoded_len()].to_vec();
        assert!(SealedFooter::decode(&bytes).is_some());
        bytes[20] ^= 0x40;
        assert!(SealedFooter::decode(&bytes).is_none());
        assert!(SealedFooter::decode(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn empty_unit_seals_to_a_footer_only_file() {
        let (image, footer) = build_sealed_image(0, Vec::new());
        assert_eq!(image.len(), BLOCK_BYTES);
        assert!(footer.fences.is_empty() && footer.time_range.is_none());
        let decoded = SealedFooter::decode(&image.as_slice()[..footer.encoded_len()]);
        assert_eq!(decoded, Some(footer));
    }
}
