//! The topic table: system topics, validation, create/update/delete, the
//! DataVersion that name servers compare, persisted to
//! `<store>/config/topics.json` (Java's `TopicConfigSerializeWrapper`
//! shape: `{"dataVersion":{..},"topicConfigTable":{name: TopicConfig}}`).
//!
//! Owned by shard 0 (the control plane). Other shards see it only through
//! the immutable [`TopicTable`] snapshot that shard 0 publishes after each
//! change.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::BrokerConfig;
use crate::persist::{self, PersistError};

/// PermName bits (REMOTING.md §4.9).
pub const PERM_READ: u32 = 4;
pub const PERM_WRITE: u32 = 2;
pub const PERM_INHERIT: u32 = 1;

pub const TOPIC_TBW102: &str = "TBW102";
pub const RETRY_PREFIX: &str = "%RETRY%";
pub const DLQ_PREFIX: &str = "%DLQ%";

/// Topics a producer may never send to (§3.1 step 2) ⇒ NO_PERMISSION.
pub const TOPICS_NOT_SENDABLE: &[&str] = &[
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];

/// Largest queue count accepted for a topic (Apache's BenchmarkTest has 1024).
pub const QUEUE_NUMS_MAX: u32 = 1024;

/// One topic's configuration, serialised with Java's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfig {
    pub topic_name: String,
    pub read_queue_nums: u32,
    pub write_queue_nums: u32,
    pub perm: u32,
    #[serde(default = "single_tag")]
    pub topic_filter_type: String,
    #[serde(default)]
    pub topic_sys_flag: u32,
    #[serde(default)]
    pub order: bool,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

fn single_tag() -> String {
    "SINGLE_TAG".to_string()
}

impl TopicConfig {
    /// A topic with `queues` read and write queues and `perm`.
    pub fn new(name: &str, queues: u32, perm: u32) -> Self {
        TopicConfig {
            topic_name: name.to_string(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm,
            topic_filter_type: single_tag(),
            topic_sys_flag: 0,
            order: false,
            attributes: BTreeMap::new(),
        }
    }

    pub fn is_readable(&self) -> bool {
        self.perm & PERM_READ != 0
    }

    pub fn is_writable(&self) -> bool {
        self.perm & PERM_WRITE != 0
    }

    /// Queue ids that exist for storage purposes: `max(read, write)`.
    pub fn queue_nums_max(&self) -> u32 {
        self.read_queue_nums.max(self.write_queue_nums)
    }
}

/// Java's DataVersion: equal iff all three fields are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DataVersion {
    pub state_version: i64,
    pub timestamp: i64,
    pub counter: i64,
}

impl DataVersion {
    fn bump(&mut self) {
        self.counter = self.counter.saturating_add(1);
        self.timestamp = now_ms();
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Immutable snapshot of all topics, shared with every shard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicTable {
    pub data_version: DataVersion,
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

impl TopicTable {
    pub fn get(&self, topic: &str) -> Option<&TopicConfig> {
        self.topic_config_table.get(topic)
    }
}

/// Why a topic name is refused (§3.1 step 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicNameError {
    #[error("the specified topic is blank")]
    Blank,
    #[error(
        "the specified topic [{0}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
    )]
    IllegalCharacters(String),
    #[error("the specified topic is longer than {limit} characters")]
    TooLong { limit: usize },
}

/// Checks a topic name as Apache does: non-blank, `[%|a-zA-Z0-9_-]`, at most
/// 127 bytes (255 for retry and DLQ topics).
///
/// # Errors
/// The first rule broken.
pub fn validate_topic_name(topic: &str) -> Result<(), TopicNameError> {
    if topic.trim().is_empty() {
        return Err(TopicNameError::Blank);
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-');
    if !topic.chars().all(legal) {
        return Err(TopicNameError::IllegalCharacters(topic.to_string()));
    }
    let limit = if topic.starts_with(RETRY_PREFIX) || topic.starts_with(DLQ_PREFIX) {
        255
    } else {
        127
    };
    if topic.len() > limit {
        return Err(TopicNameError::TooLong { limit });
    }
    Ok(())
}

/// The mutable topic table of shard 0, with its file.
#[derive(Debug)]
pub struct TopicConfigManager {
    table: TopicTable,
    path: PathBuf,
    snapshot: Arc<TopicTable>,
}

impl TopicConfigManager {
    /// Loads `<store>/config/topics.json` and adds missing system topics.
    ///
    /// # Errors
    /// An unreadable or corrupt file (never silently replaced).
    pub fn open(config: &BrokerConfig) -> Result<Self, PersistError> {
        let path = persist::config_path(&config.store_path_root_dir, "topics.json");
        let table: TopicTable = persist::load_json(&path)?.unwrap_or_default();
        let snapshot = Arc::new(table.clone());
        let mut manager = TopicConfigManager {
            table,
            path,
            snapshot,
        };
        let mut changed = false;
        for topic in system_topics(config) {
            if !manager
                .table
                .topic_config_table
                .contains_key(&topic.topic_name)
            {
                manager
                    .table
                    .topic_config_table
                    .insert(topic.topic_name.clone(), topic);
                changed = true;
            }
        }
        if changed {
            manager.commit()?;
        }
        Ok(manager)
    }

    /// The current immutable snapshot.
    pub fn snapshot(&self) -> Arc<TopicTable> {
        Arc::clone(&self.snapshot)
    }

    pub fn get(&self, topic: &str) -> Option<&TopicConfig> {
        self.table.get(topic)
    }

    /// Creates or replaces a topic. Returns whether anything changed.
    ///
    /// # Errors
    /// The file could not be written (the change is kept in memory).
    pub fn upsert(&mut self, topic: TopicConfig) -> Result<bool, PersistError> {
        assert!(
            validate_topic_name(&topic.topic_name).is_ok(),
            "{}",
            topic.topic_name
        );
        if self.table.get(&topic.topic_name) == Some(&topic) {
            return Ok(false);
        }
        self.table
            .topic_config_table
            .insert(topic.topic_name.clone(), topic);
        self.commit()?;
        Ok(true)
    }

    /// Deletes a topic. Returns whether it existed.
    ///
    /// # Errors
    /// The file could not be written.
    pub fn delete(&mut self, topic: &str) -> Result<bool, PersistError> {
        if self.table.topic_config_table.remove(topic).is_none() {
            return Ok(false);
        }
        self.commit()?;
        Ok(true)
    }

    /// Auto-creation from a template topic on send (§3.1 step 3): the template
    /// must exist and carry PERM_INHERIT; queues = min(requested, template's
    /// write queues). `%RETRY%` topics get 1 queue with perm 6.
    pub fn auto_create_config(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums_requested: u32,
    ) -> Option<TopicConfig> {
        if topic.starts_with(RETRY_PREFIX) || topic.starts_with(DLQ_PREFIX) {
            return Some(TopicConfig::new(topic, 1, PERM_READ | PERM_WRITE));
        }
        let template = self.table.get(default_topic)?;
        if template.perm & PERM_INHERIT == 0 {
            return None;
        }
        let queues = queue_nums_requested.clamp(1, template.write_queue_nums.max(1));
        let mut created = TopicConfig::new(topic, queues, template.perm & !PERM_INHERIT);
        created.topic_filter_type = template.topic_filter_type.clone();
        Some(created)
    }

    fn commit(&mut self) -> Result<(), PersistError> {
        self.table.data_version.bump();
        self.snapshot = Arc::new(self.table.clone());
        persist::store_json(&self.path, &self.table)
    }
}

/// The wire form of one topic (core's `TopicConfig`).
pub fn to_wire(topic: &TopicConfig) -> thrust_core::body::TopicConfig {
    let filter = if topic.topic_filter_type == "MULTI_TAG" {
        thrust_core::body::TopicFilterType::MultiTag
    } else {
        thrust_core::body::TopicFilterType::SingleTag
    };
    let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    thrust_core::body::TopicConfig {
        attributes: topic.attributes.clone(),
        order: topic.order,
        perm: int(topic.perm),
        read_queue_nums: int(topic.read_queue_nums),
        topic_filter_type: filter,
        topic_name: topic.topic_name.clone(),
        topic_sys_flag: int(topic.topic_sys_flag),
        write_queue_nums: int(topic.write_queue_nums),
    }
}

/// The whole table as REGISTER_BROKER and GET_ALL_TOPIC_CONFIG carry it.
pub fn to_wire_wrapper(table: &TopicTable) -> thrust_core::body::TopicConfigSerializeWrapper {
    let v = table.data_version;
    let data_version = thrust_core::body::DataVersion {
        counter: v.counter,
        state_version: v.state_version,
        timestamp: v.timestamp,
    };
    thrust_core::body::TopicConfigSerializeWrapper {
        data_version,
        mapping_data_version: None,
        topic_config_table: table
            .topic_config_table
            .iter()
            .map(|(name, topic)| (name.clone(), to_wire(topic)))
            .collect(),
        topic_queue_mapping_detail_map: None,
        topic_queue_mapping_info_map: None,
    }
}

/// The topics every broker has from start (§6.3).
fn system_topics(config: &BrokerConfig) -> Vec<TopicConfig> {
    let rw = PERM_READ | PERM_WRITE;
    let mut topics = vec![
        TopicConfig::new("SELF_TEST_TOPIC", 1, rw),
        TopicConfig::new("BenchmarkTest", QUEUE_NUMS_MAX, rw),
        TopicConfig::new("OFFSET_MOVED_EVENT", 1, rw),
        TopicConfig::new("SCHEDULE_TOPIC_XXXX", 18, rw),
        TopicConfig::new(
            &format!("{}_REPLY_TOPIC", config.broker_cluster_name),
            1,
            rw,
        ),
        TopicConfig::new("RMQ_SYS_TRANS_HALF_TOPIC", 1, rw),
        TopicConfig::new("RMQ_SYS_TRANS_OP_HALF_TOPIC", 1, rw),
    ];
    if config.auto_create_topic_enable {
        let queues = config.default_topic_queue_nums;
        topics.push(TopicConfig::new(TOPIC_TBW102, queues, rw | PERM_INHERIT));
    }
    let cluster_perm = PERM_INHERIT | if config.cluster_topic_enable { rw } else { 0 };
    topics.push(TopicConfig::new(
        &config.broker_cluster_name,
        16,
        cluster_perm,
    ));
    let broker_perm = PERM_INHERIT | if config.broker_topic_enable { rw } else { 0 };
    topics.push(TopicConfig::new(&config.broker_name, 1, broker_perm));
    topics.retain(|t| validate_topic_name(&t.topic_name).is_ok());
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(name: &str) -> BrokerConfig {
        let root =
            std::env::temp_dir().join(format!("thrust-topics-{name}-{}", std::process::id()));
        let c = BrokerConfig {
            store_path_root_dir: root,
            ..BrokerConfig::default()
        };
        let _ = std::fs::remove_dir_all(&c.store_path_root_dir);
        c
    }

    #[test]
    fn illegal_topic_names_are_refused() {
        assert!(validate_topic_name("Topic_Test-1%|").is_ok());
        assert_eq!(validate_topic_name("  "), Err(TopicNameError::Blank));
        assert!(validate_topic_name("a b").is_err());
        assert!(validate_topic_name("a/b").is_err());
        assert!(validate_topic_name(&"x".repeat(128)).is_err());
        assert!(validate_topic_name(&format!("%RETRY%{}", "x".repeat(200))).is_ok());
    }

    #[test]
    fn system_topics_exist_and_tbw102_inherits() {
        let c = config("sys");
        let m = TopicConfigManager::open(&c).unwrap();
        let tbw = m.get(TOPIC_TBW102).unwrap();
        assert_eq!((tbw.perm, tbw.write_queue_nums), (7, 8));
        assert_eq!(m.get("SCHEDULE_TOPIC_XXXX").unwrap().read_queue_nums, 18);
        std::fs::remove_dir_all(&c.store_path_root_dir).unwrap();
    }

    #[test]
    fn topic_changes_persist_and_bump_data_version() {
        let c = config("persist");
        let mut m = TopicConfigManager::open(&c).unwrap();
        let v0 = m.snapshot().data_version;
        assert!(m.upsert(TopicConfig::new("T1", 4, 6)).unwrap());
        assert!(!m.upsert(TopicConfig::new("T1", 4, 6)).unwrap());
        assert_ne!(m.snapshot().data_version, v0);
        let reopened = TopicConfigManager::open(&c).unwrap();
        assert_eq!(reopened.get("T1").unwrap().write_queue_nums, 4);
        assert_eq!(reopened.snapshot().data_version, m.snapshot().data_version);
        assert!(m.delete("T1").unwrap());
        assert!(TopicConfigManager::open(&c).unwrap().get("T1").is_none());
        std::fs::remove_dir_all(&c.store_path_root_dir).unwrap();
    }

    #[test]
    fn auto_create_clamps_to_template_and_drops_inherit() {
        let c = config("auto");
        let m = TopicConfigManager::open(&c).unwrap();
        let t = m.auto_create_config("New", TOPIC_TBW102, 100).unwrap();
        assert_eq!((t.write_queue_nums, t.perm), (8, 6));
        assert_eq!(
            m.auto_create_config("New", TOPIC_TBW102, 4)
                .unwrap()
                .read_queue_nums,
            4
        );
        assert!(m.auto_create_config("New", "SELF_TEST_TOPIC", 4).is_none());
        assert!(m.auto_create_config("New", "Missing", 4).is_none());
        assert_eq!(
            m.auto_create_config("%RETRY%g", TOPIC_TBW102, 4)
                .unwrap()
                .perm,
            6
        );
        std::fs::remove_dir_all(&c.store_path_root_dir).unwrap();
    }
}
