//! Subscription groups (consumer group configs), auto-created on HEART_BEAT
//! and PULL_MESSAGE when `autoCreateSubscriptionGroup` is on, persisted to
//! `<store>/config/subscriptionGroup.json` (Java's shape:
//! `{"dataVersion":{..},"subscriptionGroupTable":{name: config}}`).
//!
//! Owned by shard 0; other shards read the published snapshot.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::persist::{self, PersistError};
use crate::topic_config::DataVersion;

/// One group's configuration with Apache's defaults (REMOTING.md §6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionGroupConfig {
    pub group_name: String,
    #[serde(default = "yes")]
    pub consume_enable: bool,
    #[serde(default = "yes")]
    pub consume_from_min_enable: bool,
    #[serde(default = "yes")]
    pub consume_broadcast_enable: bool,
    #[serde(default = "one")]
    pub retry_queue_nums: u32,
    #[serde(default = "sixteen")]
    pub retry_max_times: u32,
    #[serde(default)]
    pub broker_id: u64,
    #[serde(default = "one_u64")]
    pub which_broker_when_consume_slowly: u64,
    #[serde(default = "yes")]
    pub notify_consumer_ids_changed_enable: bool,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn sixteen() -> u32 {
    16
}

impl SubscriptionGroupConfig {
    /// A group with Apache's defaults.
    pub fn new(group: &str) -> Self {
        SubscriptionGroupConfig {
            group_name: group.to_string(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            retry_queue_nums: 1,
            retry_max_times: 16,
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
        }
    }
}

/// Immutable snapshot of every group, shared with all shards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupTable {
    pub data_version: DataVersion,
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

impl GroupTable {
    pub fn get(&self, group: &str) -> Option<&SubscriptionGroupConfig> {
        self.subscription_group_table.get(group)
    }
}

/// Groups that every Apache broker has from start.
const SYSTEM_GROUPS: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "__MONITOR_CONSUMER",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_ONSAPI_PULL",
    "CID_RMQ_SYS_TRANS",
];

/// Shard 0's mutable group table with its file.
#[derive(Debug)]
pub struct SubscriptionGroupManager {
    table: GroupTable,
    path: PathBuf,
    snapshot: Arc<GroupTable>,
    auto_create: bool,
}

impl SubscriptionGroupManager {
    /// Loads the file (or starts empty) and adds the system groups.
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(root: &std::path::Path, auto_create: bool) -> Result<Self, PersistError> {
        let path = persist::config_path(root, "subscriptionGroup.json");
        let table: GroupTable = persist::load_json(&path)?.unwrap_or_default();
        let snapshot = Arc::new(table.clone());
        let mut manager = SubscriptionGroupManager {
            table,
            path,
            snapshot,
            auto_create,
        };
        let missing: Vec<&str> = SYSTEM_GROUPS
            .iter()
            .copied()
            .filter(|g| manager.table.get(g).is_none())
            .collect();
        if !missing.is_empty() {
            for group in missing {
                manager.insert(SubscriptionGroupConfig::new(group));
            }
            manager.commit()?;
        }
        Ok(manager)
    }

    pub fn snapshot(&self) -> Arc<GroupTable> {
        Arc::clone(&self.snapshot)
    }

    /// Returns the group's config, creating it with defaults if auto-create
    /// is on. `Ok(None)` when it does not exist and may not be created.
    ///
    /// # Errors
    /// The file could not be written (the group is kept in memory).
    pub fn find_or_create(
        &mut self,
        group: &str,
    ) -> Result<Option<SubscriptionGroupConfig>, PersistError> {
        if let Some(found) = self.table.get(group) {
            return Ok(Some(found.clone()));
        }
        if !self.auto_create || group.is_empty() {
            return Ok(None);
        }
        let created = SubscriptionGroupConfig::new(group);
        self.insert(created.clone());
        self.commit()?;
        Ok(Some(created))
    }

    /// Creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP) and
    /// persists the table.
    ///
    /// # Errors
    /// The table could not be written.
    pub fn upsert(&mut self, config: SubscriptionGroupConfig) -> Result<(), PersistError> {
        self.insert(config);
        self.commit()
    }

    /// Deletes a group. Returns whether it existed.
    ///
    /// # Errors
    /// The table could not be written.
    pub fn delete(&mut self, group: &str) -> Result<bool, PersistError> {
        if self.table.subscription_group_table.remove(group).is_none() {
            return Ok(false);
        }
        self.commit()?;
        Ok(true)
    }

    fn insert(&mut self, config: SubscriptionGroupConfig) {
        self.table
            .subscription_group_table
            .insert(config.group_name.clone(), config);
    }

    fn commit(&mut self) -> Result<(), PersistError> {
        self.table.data_version.counter = self.table.data_version.counter.saturating_add(1);
        self.table.data_version.timestamp = crate::topic_config::now_ms();
        self.snapshot = Arc::new(self.table.clone());
        persist::store_json(&self.path, &self.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("thrust-groups-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn unknown_group_is_created_with_defaults_and_persisted() {
        let dir = root("create");
        let mut m = SubscriptionGroupManager::open(&dir, true).unwrap();
        let g = m.find_or_create("cg").unwrap().unwrap();
        assert_eq!((g.retry_queue_nums, g.retry_max_times), (1, 16));
        let reopened = SubscriptionGroupManager::open(&dir, true).unwrap();
        assert!(reopened.snapshot().get("cg").is_some());
        assert!(reopened.snapshot().get("TOOLS_CONSUMER").is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn auto_create_off_leaves_unknown_group_missing() {
        let dir = root("off");
        let mut m = SubscriptionGroupManager::open(&dir, false).unwrap();
        assert!(m.find_or_create("cg").unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
