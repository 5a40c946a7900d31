//! Delivery progress of the delay levels one shard owns (REMOTING.md §6.1).
//!
//! For each level whose `SCHEDULE_TOPIC_XXXX` queue (level − 1) this shard
//! owns, the next schedule-queue offset to deliver. Persisted to
//! `<store>/config/delayOffset-shard-<i>.json` in Apache's shape
//! (`{"offsetTable":{"<level>":offset}}`) after each delivered batch, so a
//! restart re-delivers at most the batch that was in flight
//! (at-least-once) and never loses one. Single-threaded (one per shard).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::persist::{self, PersistError};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DelayOffsetFile {
    offset_table: BTreeMap<i32, i64>,
}

/// One shard's delay-level progress.
#[derive(Debug)]
pub struct DelayOffsets {
    table: BTreeMap<i32, i64>,
    path: PathBuf,
}

impl DelayOffsets {
    /// Loads shard `shard`'s file, or starts at offset 0 everywhere.
    ///
    /// # Errors
    /// An unreadable or corrupt file (never silently reset: that would
    /// deliver every parked message again).
    pub fn open(root: &Path, shard: usize) -> Result<Self, PersistError> {
        let path = persist::config_path(root, &format!("delayOffset-shard-{shard}.json"));
        let file: DelayOffsetFile = persist::load_json(&path)?.unwrap_or_default();
        Ok(DelayOffsets {
            table: file.offset_table,
            path,
        })
    }

    /// The next offset of `level` to deliver (0 if never delivered).
    pub fn next(&self, level: i32) -> i64 {
        self.table.get(&level).copied().unwrap_or(0)
    }

    /// Records that `level` is delivered up to `next` (exclusive) and
    /// persists the table (a small control-plane write on this thread).
    ///
    /// # Errors
    /// The file could not be written; the progress stays in memory and is
    /// written with the next update.
    pub fn advance(&mut self, level: i32, next: i64) -> Result<(), PersistError> {
        assert!(level >= 1, "delay level {level} below 1");
        assert!(next >= 0, "delay offset {next} negative");
        if self.table.insert(level, next) == Some(next) {
            return Ok(());
        }
        let file = DelayOffsetFile {
            offset_table: self.table.clone(),
        };
        persist::store_json(&self.path, &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advanced_offsets_are_loaded_back_after_reopen() {
        let dir = std::env::temp_dir().join(format!("thrust-delay-offset-{}", std::process::id()));
        let mut offsets = DelayOffsets::open(&dir, 1).unwrap();
        assert_eq!(offsets.next(3), 0);
        offsets.advance(3, 7).unwrap();
        offsets.advance(1, 2).unwrap();
        let reopened = DelayOffsets::open(&dir, 1).unwrap();
        assert_eq!(
            (reopened.next(1), reopened.next(3), reopened.next(2)),
            (2, 7, 0)
        );
        let text = std::fs::read_to_string(dir.join("config/delayOffset-shard-1.json")).unwrap();
        assert!(text.contains("\"offsetTable\""), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
