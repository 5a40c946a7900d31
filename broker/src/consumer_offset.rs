//! Consumer offsets ("next offset to consume") of the queues one shard owns.
//!
//! Each shard keeps the offsets of its own queues and persists them to
//! `<store>/config/consumerOffset-shard-<i>.json` in Java's shape
//! (`{"offsetTable":{"<topic>@<group>":{"<queueId>":offset}}}`, keys quoted)
//! every few seconds when dirty, and on shutdown. Because queue ownership is
//! a function of the shard count, a store must be reopened with the same
//! `--shards` (as for the message store itself).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::persist::{self, PersistError};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OffsetFile {
    offset_table: BTreeMap<String, BTreeMap<u32, i64>>,
}

/// The offsets of one shard's queues. Single-threaded (one per shard).
#[derive(Debug)]
pub struct ConsumerOffsetManager {
    table: BTreeMap<String, BTreeMap<u32, i64>>,
    path: PathBuf,
    dirty: bool,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

impl ConsumerOffsetManager {
    /// Loads shard `shard`'s file, or starts empty.
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(root: &Path, shard: usize) -> Result<Self, PersistError> {
        let path = persist::config_path(root, &format!("consumerOffset-shard-{shard}.json"));
        let file: OffsetFile = persist::load_json(&path)?.unwrap_or_default();
        Ok(ConsumerOffsetManager {
            table: file.offset_table,
            path,
            dirty: false,
        })
    }

    /// The stored offset, if any.
    pub fn query(&self, group: &str, topic: &str, queue_id: u32) -> Option<i64> {
        self.table.get(&key(topic, group))?.get(&queue_id).copied()
    }

    /// Stores `offset` (rewinding is legal, as in Apache).
    pub fn commit(&mut self, group: &str, topic: &str, queue_id: u32, offset: i64) {
        let queues = self.table.entry(key(topic, group)).or_default();
        if queues.insert(queue_id, offset) != Some(offset) {
            self.dirty = true;
        }
    }

    /// Topics `group` has offsets for, sorted.
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        let suffix = format!("@{group}");
        self.table
            .keys()
            .filter_map(|k| k.strip_suffix(&suffix))
            .map(str::to_string)
            .collect()
    }

    /// Groups with offsets on `topic`, sorted.
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        let prefix = format!("{topic}@");
        self.table
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(str::to_string)
            .collect()
    }

    /// Every offset: `topic@group` → queue id → offset.
    pub fn table(&self) -> &BTreeMap<String, BTreeMap<u32, i64>> {
        &self.table
    }

    /// Drops every offset of `group` (group deleted with cleanOffset).
    pub fn remove_group(&mut self, group: &str) {
        let suffix = format!("@{group}");
        let before = self.table.len();
        self.table.retain(|k, _| !k.ends_with(&suffix));
        self.dirty |= self.table.len() != before;
    }

    /// Drops every offset of `topic` (topic deleted).
    pub fn remove_topic(&mut self, topic: &str) {
        let prefix = format!("{topic}@");
        let before = self.table.len();
        self.table.retain(|k, _| !k.starts_with(&prefix));
        self.dirty |= self.table.len() != before;
    }

    /// Writes the file if anything changed since the last write.
    ///
    /// # Errors
    /// The file could not be written; it stays dirty and is retried.
    pub fn persist_if_dirty(&mut self) -> Result<(), PersistError> {
        if !self.dirty {
            return Ok(());
        }
        let file = OffsetFile {
            offset_table: self.table.clone(),
        };
        persist::store_json(&self.path, &file)?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_survive_reopen_and_may_rewind() {
        let dir = std::env::temp_dir().join(format!("thrust-offsets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut m = ConsumerOffsetManager::open(&dir, 1).unwrap();
        assert_eq!(m.query("g", "T", 0), None);
        m.commit("g", "T", 0, 10);
        m.commit("g", "T", 0, 7);
        m.commit("g", "T", 3, 5);
        m.persist_if_dirty().unwrap();
        let text = std::fs::read_to_string(dir.join("config/consumerOffset-shard-1.json")).unwrap();
        assert!(text.contains("\"T@g\""), "{text}");
        let back = ConsumerOffsetManager::open(&dir, 1).unwrap();
        assert_eq!(back.query("g", "T", 0), Some(7));
        assert_eq!(back.query("g", "T", 3), Some(5));
        assert_eq!(
            ConsumerOffsetManager::open(&dir, 0)
                .unwrap()
                .query("g", "T", 0),
            None
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
