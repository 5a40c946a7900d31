//! Small bodies (REMOTING.md §9.7, §3.9, §3.16, §4.5, §4.6): topic lists, KV
//! tables, consumer id lists and the CHECK_CLIENT_CONFIG request.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::body::heartbeat::SubscriptionData;

/// `{"topicList":["A","B"]}`: GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206),
/// topics by cluster (224), system topic lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicList {
    /// Set only in some broker answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    pub topic_list: BTreeSet<String>,
}

/// `{"table":{"k":"v"}}`: KV namespaces (GET_KVLIST_BY_NAMESPACE, 219), the
/// REGISTER_BROKER answer, and broker runtime info (GET_BROKER_RUNTIME_INFO).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KVTable {
    pub table: BTreeMap<String, String>,
}

/// `{"consumerIdList":[..]}`: GET_CONSUMER_LIST_BY_GROUP (38) answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetConsumerListByGroupResponseBody {
    pub consumer_id_list: Vec<String>,
}

/// CHECK_CLIENT_CONFIG (46) request: may the broker serve this subscription?
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckClientRequestBody {
    pub client_id: String,
    pub group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_data: Option<SubscriptionData>,
}

crate::body::serde_json_body! {
    TopicList => "TopicList",
    KVTable => "KVTable",
    GetConsumerListByGroupResponseBody => "GetConsumerListByGroupResponseBody",
    CheckClientRequestBody => "CheckClientRequestBody",
}
