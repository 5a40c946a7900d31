//! Topic configuration bodies (REMOTING.md §9.5): `TopicConfig`,
//! `DataVersion`, and `TopicConfigSerializeWrapper` (the table a broker
//! registers with name servers, returns for GET_ALL_TOPIC_CONFIG and keeps in
//! `topics.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::body::java_enum::{self, java_enum};
use crate::body::lenient;

/// Java's default queue count for a new topic (`TopicConfig.defaultReadQueueNums`).
pub const QUEUE_NUMS_DEFAULT: i32 = 16;
/// PERM_READ | PERM_WRITE (§4.9).
pub const PERM_READ_WRITE: i32 = 6;

/// One topic's configuration on a broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// Free-form attributes such as `message.type` → `NORMAL`.
    pub attributes: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub order: bool,
    /// PermName bits (§4.9).
    #[serde(deserialize_with = "lenient::int")]
    pub perm: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub read_queue_nums: i32,
    #[serde(deserialize_with = "java_enum::required")]
    pub topic_filter_type: TopicFilterType,
    pub topic_name: String,
    /// Topic sys-flag bits (§4.9).
    #[serde(deserialize_with = "lenient::int")]
    pub topic_sys_flag: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub write_queue_nums: i32,
}

impl Default for TopicConfig {
    /// Java's defaults: 16 read and write queues, read-write, SINGLE_TAG.
    fn default() -> Self {
        TopicConfig {
            attributes: BTreeMap::new(),
            order: false,
            perm: PERM_READ_WRITE,
            read_queue_nums: QUEUE_NUMS_DEFAULT,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: QUEUE_NUMS_DEFAULT,
        }
    }
}

java_enum! {
    /// Java's `TopicFilterType`; carried, never acted on.
    pub enum TopicFilterType as "TopicFilterType" {
        SingleTag = "SINGLE_TAG",
        MultiTag = "MULTI_TAG",
    }
}

/// Version of a broker's topic table. Name servers compare it to decide
/// whether a registration changed anything: equal means same state version,
/// timestamp and counter (§9.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    #[serde(deserialize_with = "lenient::int")]
    pub counter: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub state_version: i64,
    /// Milliseconds since the Unix epoch of the last change. Java starts it
    /// at "now"; the owner of a table sets it (see [`DataVersion::bump`]).
    #[serde(deserialize_with = "lenient::int")]
    pub timestamp: i64,
}

impl DataVersion {
    /// A first version made at `timestamp_ms`.
    pub fn new(timestamp_ms: i64) -> Self {
        DataVersion {
            counter: 0,
            state_version: 0,
            timestamp: timestamp_ms,
        }
    }

    /// Records one change at `now_ms`, as Java's `nextVersion`: the counter
    /// goes up by one and the timestamp becomes `now_ms`.
    pub fn bump(&mut self, now_ms: i64) {
        let before = *self;
        self.counter = self.counter.wrapping_add(1);
        self.timestamp = now_ms;
        assert_ne!(*self, before, "a bumped DataVersion must differ");
    }
}

/// A broker's topic table with its version (and, from 5.x, static-topic
/// mappings). Java's `TopicConfigSerializeWrapper` and its subclass
/// `TopicConfigAndMappingSerializeWrapper` in one type: the mapping members
/// are written only when present, so both shapes round-trip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    pub data_version: DataVersion,
    /// Version of the static-topic mappings (5.x brokers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping_data_version: Option<DataVersion>,
    /// Topic name → config.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// Static-topic mapping details by topic, kept opaque (5.x brokers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_detail_map: Option<BTreeMap<String, serde_json::Value>>,
    /// Static-topic mapping info by topic, kept opaque (5.x brokers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_info_map: Option<BTreeMap<String, serde_json::Value>>,
}

crate::body::serde_json_body! {
    TopicConfig => "TopicConfig",
    DataVersion => "DataVersion",
    TopicConfigSerializeWrapper => "TopicConfigSerializeWrapper",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn missing_topic_config_members_take_java_defaults() {
        let config = TopicConfig::decode(br#"{"topicName":"T"}"#).unwrap();
        assert_eq!(config.read_queue_nums, 16);
        assert_eq!(config.write_queue_nums, 16);
        assert_eq!(config.perm, 6);
        assert_eq!(config.topic_filter_type, TopicFilterType::SingleTag);
    }

    #[test]
    fn data_versions_differ_after_a_bump() {
        let mut version = DataVersion::new(1000);
        let before = version;
        version.bump(1000);
        assert_ne!(version, before);
        assert_eq!(version.counter, 1);
    }
}
