//! Route bodies (REMOTING.md §9.1, §9.2, §4.1): `TopicRouteData`, the
//! GET_ROUTEINFO_BY_TOPIC (105) answer, and its `QueueData` and `BrokerData`
//! (Java's `remoting/protocol/route/*.java`).
//!
//! Written as standard compact JSON (trap 29: the Go client slices
//! `brokerAddrs` on `,` and the first `:`), with quoted broker-id keys
//! (trap 3); read from either that or fastjson's `{0:"ip:port"}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::body::lenient;

/// Where a topic's queues live: the answer to GET_ROUTEINFO_BY_TOPIC, also the
/// body of REGISTER_TOPIC_IN_NAMESRV (217).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicRouteData {
    /// One entry per broker name that has queues of the topic.
    pub broker_datas: Vec<BrokerData>,
    /// Legacy filter servers by broker address; always empty from Thrust.
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// `broker-a:4;broker-b:4` from KV namespace ORDER_TOPIC_CONFIG; omitted
    /// when unset (a present value makes clients treat the topic as orderly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    pub queue_datas: Vec<QueueData>,
    /// Static-topic mappings, kept opaque. Thrust never sets it: a non-empty
    /// value switches the Java client to static-topic logic (§9.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_by_broker: Option<BTreeMap<String, serde_json::Value>>,
}

/// A topic's queues on one broker name (master and slaves share it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueData {
    pub broker_name: String,
    /// PermName bits (§4.9): 4 read, 2 write, 1 inherit.
    #[serde(deserialize_with = "lenient::int")]
    pub perm: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub read_queue_nums: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub topic_sys_flag: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub write_queue_nums: i32,
}

/// The addresses of one broker name: its master (id 0) and slaves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerData {
    /// Broker id → `ip:port`. Id 0 is the master.
    pub broker_addrs: BTreeMap<i64, String>,
    pub broker_name: String,
    pub cluster: String,
    #[serde(deserialize_with = "lenient::boolean")]
    pub enable_acting_master: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

/// The broker id of a master.
pub const MASTER_BROKER_ID: i64 = 0;

impl BrokerData {
    /// The master's address, if the master is registered.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_BROKER_ID).map(String::as_str)
    }
}

crate::body::serde_json_body! {
    TopicRouteData => "TopicRouteData",
    QueueData => "QueueData",
    BrokerData => "BrokerData",
}
