//! JSON bodies (REMOTING.md §9): route data, heartbeat, register-broker,
//! cluster info, locks, consumer lists, offsets, and the admin bodies that
//! `mqadmin` reads.
//!
//! Every body type implements [`JsonBody`]: `decode` reads what Java
//! (fastjson), Go, C++ and Rust peers write, and `encode` writes compact
//! standard JSON with every map key quoted (trap 29), members in sorted order
//! as fastjson writes them, and null members omitted.
//!
//! Decoding is lenient, because the Java broker it replaces is (trap 30):
//! - [`fastjson::normalize`] first quotes bare numeric map keys (`{0:"a"}`),
//!   rewrites object-keyed maps and drops `null` members;
//! - unknown members are ignored and missing members take Java's defaults;
//! - integers and booleans may come as strings ([`lenient`]), enums as names
//!   or ordinals ([`java_enum`]).
//!
//! The exceptions to "standard JSON out" are [`ConsumeStats`],
//! [`TopicStatsTable`] and [`ResetOffsetBody`], whose `offsetTable` is a map
//! keyed by [`MessageQueue`]: they are written in fastjson's
//! `{{"brokerName":..}:value}` shape because Java admin tools parse only that.
//!
//! Set-valued Java members are `Vec`s where order or duplicates may carry
//! meaning for the peer (heartbeat sets) and `BTreeSet`s where Java's `Set`
//! semantics are what the server needs (topic lists, lock sets).

pub mod admin;
pub mod cluster_info;
pub mod fastjson;
pub mod heartbeat;
pub mod java_enum;
pub mod lenient;
pub mod lock;
pub mod message_queue;
pub mod register_broker;
pub mod route;
pub mod small;
pub mod subscription_group;
pub mod topic_config;

pub use admin::{
    Connection, ConsumeStats, ConsumerConnection, ConsumerOffsetSerializeWrapper, OffsetWrapper,
    ProducerConnection, ResetOffsetBody, TopicOffset, TopicStatsTable,
};
pub use cluster_info::ClusterInfo;
pub use heartbeat::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, MessageModel, ProducerData,
    SubscriptionData,
};
pub use java_enum::JavaEnum;
pub use lock::{LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody};
pub use message_queue::MessageQueue;
pub use register_broker::RegisterBrokerBody;
pub use route::{BrokerData, QueueData, TopicRouteData};
pub use small::{CheckClientRequestBody, GetConsumerListByGroupResponseBody, KVTable, TopicList};
pub use subscription_group::{
    CustomizedRetryPolicy, ExponentialRetryPolicy, GroupRetryPolicy, GroupRetryPolicyType,
    SimpleSubscriptionData, SubscriptionGroupConfig, SubscriptionGroupWrapper,
};
pub use topic_config::{DataVersion, TopicConfig, TopicConfigSerializeWrapper, TopicFilterType};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::DecodeError;

/// A remoting command body carried as JSON.
pub trait JsonBody: Sized {
    /// The Java class name, used in errors.
    const WHAT: &'static str;

    /// Parses a body as a Java, Go, C++ or Rust peer writes it.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Json`] if the bytes are not JSON of this shape (after
    /// the fastjson fix-ups), [`DecodeError::Malformed`] if they nest deeper
    /// than [`fastjson::NESTING_DEPTH_MAX`].
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError>;

    /// Writes the body as compact JSON.
    fn encode(&self) -> Vec<u8>;
}

/// [`JsonBody::decode`] for types that serde reads directly.
pub(crate) fn decode_serde<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    let standard = fastjson::normalize(what, bytes)?;
    // serde reads a struct from an array too (by position); a body that is
    // not an object is a peer error, not a struct of defaults.
    if let Some(first) = standard.first().filter(|first| **first != b'{') {
        return Err(DecodeError::Json {
            what,
            message: format!("expected a JSON object, found {:?}", char::from(*first)),
        });
    }
    serde_json::from_slice(&standard).map_err(|err| DecodeError::json(what, &err))
}

/// [`JsonBody::encode`] for types that serde writes directly.
pub(crate) fn encode_serde<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    fastjson::write_json(&mut out, value);
    assert!(
        out.first() == Some(&b'{'),
        "a body encodes as a JSON object"
    );
    out
}

/// Implements [`JsonBody`] through serde for each listed type.
macro_rules! serde_json_body {
    ($($body:ty => $what:literal,)+) => {
        $(
            impl $crate::body::JsonBody for $body {
                const WHAT: &'static str = $what;

                fn decode(bytes: &[u8]) -> Result<Self, $crate::error::DecodeError> {
                    $crate::body::decode_serde($what, bytes)
                }

                fn encode(&self) -> Vec<u8> {
                    $crate::body::encode_serde(self)
                }
            }
        )+
    };
}
pub(crate) use serde_json_body;
