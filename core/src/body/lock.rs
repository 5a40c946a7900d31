//! LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) bodies (REMOTING.md §3.14,
//! §9.4), used by orderly consumers. Go omits `onlyThisBroker`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::body::lenient;
use crate::body::message_queue::MessageQueue;

/// A client asking to lock (or renew) queues for its group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    pub client_id: String,
    pub consumer_group: String,
    pub mq_set: BTreeSet<MessageQueue>,
    /// Set by a broker forwarding to itself only; clients send false.
    #[serde(deserialize_with = "lenient::boolean")]
    pub only_this_broker: bool,
}

/// The queues now locked by the requesting client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponseBody {
    #[serde(rename = "lockOKMQSet")]
    pub lock_ok_mq_set: BTreeSet<MessageQueue>,
}

/// A client releasing queue locks of its group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnlockBatchRequestBody {
    pub client_id: String,
    pub consumer_group: String,
    pub mq_set: BTreeSet<MessageQueue>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub only_this_broker: bool,
}

crate::body::serde_json_body! {
    LockBatchRequestBody => "LockBatchRequestBody",
    LockBatchResponseBody => "LockBatchResponseBody",
    UnlockBatchRequestBody => "UnlockBatchRequestBody",
}
