//! Admin bodies that `mqadmin` and dashboards read from a broker, and the
//! consumer-offset table (Java's `remoting/protocol/{admin,body}/*.java`):
//! consumer and producer connections, consume stats, topic stats, reset
//! offsets, and `ConsumerOffsetSerializeWrapper`.
//!
//! [`ConsumeStats`], [`TopicStatsTable`] and [`ResetOffsetBody`] hold Java
//! `Map<MessageQueue, V>`s, which fastjson writes with object keys (REMOTING.md
//! §11 trap 4). They are kept as `Vec<(MessageQueue, V)>` and written in that
//! fastjson shape by hand, since it is not standard JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::body::fastjson::{self, write_json, write_object_keyed_map};
use crate::body::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use crate::body::java_enum;
use crate::body::lenient;
use crate::body::message_queue::MessageQueue;
use crate::body::topic_config::DataVersion;
use crate::body::{decode_serde, JsonBody};
use crate::error::DecodeError;

/// Committed consumer offsets: GET_ALL_CONSUMER_OFFSET and
/// `consumerOffset.json`. Java writes the queue-id keys unquoted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerOffsetSerializeWrapper {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_version: Option<DataVersion>,
    /// `topic@group` → queue id → next offset to consume.
    pub offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

/// One client connection as admin tools see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Connection {
    /// The client's socket address, `ip:port`.
    pub client_addr: String,
    pub client_id: String,
    /// Java `LanguageCode` name (`JAVA`, `GO`, ...), kept as text so that
    /// names this build does not know survive (§11 trap 13).
    pub language: String,
    /// The client's remoting version number.
    #[serde(deserialize_with = "lenient::int")]
    pub version: i32,
}

/// GET_CONSUMER_CONNECTION_LIST answer: a group's live consumers and what
/// they subscribe to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerConnection {
    pub connection_set: Vec<Connection>,
    #[serde(
        deserialize_with = "java_enum::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_from_where: Option<ConsumeFromWhere>,
    #[serde(
        deserialize_with = "java_enum::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_type: Option<ConsumeType>,
    #[serde(
        deserialize_with = "java_enum::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_model: Option<MessageModel>,
    /// Topic → subscription.
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

/// GET_PRODUCER_CONNECTION_LIST answer: a producer group's live clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerConnection {
    pub connection_set: Vec<Connection>,
}

/// Where a consumer group stands on one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    /// The queue's max offset (exclusive).
    #[serde(deserialize_with = "lenient::int")]
    pub broker_offset: i64,
    /// The group's committed offset.
    #[serde(deserialize_with = "lenient::int")]
    pub consumer_offset: i64,
    /// Store time (ms) of the last consumed message, 0 if unknown.
    #[serde(deserialize_with = "lenient::int")]
    pub last_timestamp: i64,
    /// The offset the group's pulls have reached.
    #[serde(deserialize_with = "lenient::int")]
    pub pull_offset: i64,
}

/// GET_CONSUME_STATS answer: per-queue progress of a group.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeStats {
    #[serde(deserialize_with = "lenient::float")]
    pub consume_tps: f64,
    #[serde(deserialize_with = "fastjson::object_keyed_map")]
    pub offset_table: Vec<(MessageQueue, OffsetWrapper)>,
}

/// Offsets of one queue of a topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicOffset {
    /// Store time (ms) of the last message, 0 if empty.
    #[serde(deserialize_with = "lenient::int")]
    pub last_update_timestamp: i64,
    /// Exclusive: the next offset to be written.
    #[serde(deserialize_with = "lenient::int")]
    pub max_offset: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub min_offset: i64,
}

/// GET_TOPIC_STATS_INFO answer: per-queue offsets of a topic.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicStatsTable {
    #[serde(deserialize_with = "fastjson::object_keyed_map")]
    pub offset_table: Vec<(MessageQueue, TopicOffset)>,
    #[serde(deserialize_with = "lenient::float")]
    pub topic_put_tps: f64,
}

/// INVOKE_BROKER_TO_RESET_OFFSET answer and RESET_CONSUMER_CLIENT_OFFSET
/// (broker → client) body: the offset each queue is reset to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResetOffsetBody {
    #[serde(deserialize_with = "fastjson::object_keyed_map")]
    pub offset_table: Vec<(MessageQueue, i64)>,
}

impl JsonBody for ConsumeStats {
    const WHAT: &'static str = "ConsumeStats";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_serde(Self::WHAT, bytes)
    }

    /// `{"consumeTps":..,"offsetTable":{{queue}:{offsets},..}}`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(br#"{"consumeTps":"#);
        write_json(&mut out, &self.consume_tps);
        out.extend_from_slice(br#","offsetTable":"#);
        write_object_keyed_map(&mut out, &self.offset_table);
        out.push(b'}');
        out
    }
}

impl JsonBody for TopicStatsTable {
    const WHAT: &'static str = "TopicStatsTable";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_serde(Self::WHAT, bytes)
    }

    /// `{"offsetTable":{{queue}:{offsets},..},"topicPutTps":..}`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(br#"{"offsetTable":"#);
        write_object_keyed_map(&mut out, &self.offset_table);
        out.extend_from_slice(br#","topicPutTps":"#);
        write_json(&mut out, &self.topic_put_tps);
        out.push(b'}');
        out
    }
}

impl JsonBody for ResetOffsetBody {
    const WHAT: &'static str = "ResetOffsetBody";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_serde(Self::WHAT, bytes)
    }

    /// `{"offsetTable":{{queue}:offset,..}}`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(br#"{"offsetTable":"#);
        write_object_keyed_map(&mut out, &self.offset_table);
        out.push(b'}');
        out
    }
}

crate::body::serde_json_body! {
    ConsumerOffsetSerializeWrapper => "ConsumerOffsetSerializeWrapper",
    Connection => "Connection",
    ConsumerConnection => "ConsumerConnection",
    ProducerConnection => "ProducerConnection",
    OffsetWrapper => "OffsetWrapper",
    TopicOffset => "TopicOffset",
}
