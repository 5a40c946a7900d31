//! HEART_BEAT (34) body (REMOTING.md §3.7, §9.3): `HeartbeatData` with its
//! consumer and producer entries and their subscriptions (Java's
//! `remoting/protocol/heartbeat/*.java`).
//!
//! What differs between peers, all accepted here:
//! - Java 5.x adds `heartbeatFingerprint` and `withoutSub`; 4.x, Go and C++
//!   omit them.
//! - Go sends `codeSet` entries as strings, hashed over UTF-8, `subVersion`
//!   in nanoseconds, and `"UNKNOWN"` for an unset consume-from-where.
//! - C++ sends enums as ordinals, `subVersion` as a string, and no
//!   `expressionType` (which means TAG).
//!
//! The broker must rebuild tag codes from `tagsSet` with Java's
//! `String.hashCode` rather than trust `codeSet` (§11 trap 5).

use serde::{Deserialize, Serialize};

use crate::body::java_enum::{self, java_enum};
use crate::body::lenient;

/// Everything a client tells a broker about itself every 30 s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeartbeatData {
    /// `ip@pid#nanos`-style id; note Java's capital `ID`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    pub consumer_data_set: Vec<ConsumerData>,
    /// Heartbeat V2 (§3.7): non-zero when the client uses fingerprints.
    #[serde(deserialize_with = "lenient::int")]
    pub heartbeat_fingerprint: i32,
    pub producer_data_set: Vec<ProducerData>,
    /// Heartbeat V2: subscriptions omitted, keep the previous ones.
    #[serde(deserialize_with = "lenient::boolean")]
    pub without_sub: bool,
}

/// One consumer group of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    /// `None` when missing or not a known constant (Go may send `UNKNOWN`).
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
    pub group_name: String,
    #[serde(
        deserialize_with = "java_enum::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_model: Option<MessageModel>,
    pub subscription_data_set: Vec<SubscriptionData>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub unit_mode: bool,
}

/// One producer group of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    pub group_name: String,
}

/// Expression type of a TAG subscription; also what an absent or empty
/// `expressionType` means.
pub const EXPRESSION_TYPE_TAG: &str = "TAG";
/// Expression type of an SQL92 property filter.
pub const EXPRESSION_TYPE_SQL92: &str = "SQL92";
/// The subscription expression that matches every tag.
pub const SUB_ALL: &str = "*";

/// One subscription of a consumer group: a topic and a filter expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    #[serde(deserialize_with = "lenient::boolean")]
    pub class_filter_mode: bool,
    /// Tag hash codes. Numbers from Java, strings from Go; not trusted.
    #[serde(deserialize_with = "lenient::int_seq")]
    pub code_set: Vec<i32>,
    /// `TAG` (default) or `SQL92`. Kept as sent: Go may send `""`, which
    /// Java reads as TAG; see [`SubscriptionData::is_tag_type`].
    pub expression_type: String,
    /// The expression: `*`, `TagA || TagB`, or SQL92 text.
    pub sub_string: String,
    /// Version of this subscription: milliseconds from Java, nanoseconds from
    /// Go, 0 in Go pulls (§11 trap 6).
    #[serde(deserialize_with = "lenient::int")]
    pub sub_version: i64,
    pub tags_set: Vec<String>,
    pub topic: String,
}

impl Default for SubscriptionData {
    fn default() -> Self {
        SubscriptionData {
            class_filter_mode: false,
            code_set: Vec::new(),
            expression_type: EXPRESSION_TYPE_TAG.to_string(),
            sub_string: String::new(),
            sub_version: 0,
            tags_set: Vec::new(),
            topic: String::new(),
        }
    }
}

impl SubscriptionData {
    /// Whether this is a tag subscription: `TAG`, empty, as Java's
    /// `ExpressionType.isTagType` decides.
    pub fn is_tag_type(&self) -> bool {
        self.expression_type.is_empty() || self.expression_type == EXPRESSION_TYPE_TAG
    }

    /// Whether the subscription takes every message (`*` or empty).
    pub fn is_sub_all(&self) -> bool {
        let expression = self.sub_string.trim();
        expression.is_empty() || expression == SUB_ALL
    }
}

java_enum! {
    /// How a consumer fetches: Java's `ConsumeType`.
    pub enum ConsumeType as "ConsumeType" {
        /// Pull and lite-pull consumers.
        ConsumeActively = "CONSUME_ACTIVELY" ["PULL"],
        /// Push consumers (long polling).
        ConsumePassively = "CONSUME_PASSIVELY" ["PUSH"],
        ConsumePop = "CONSUME_POP" ["POP"],
    }
}

java_enum! {
    /// Whether each message goes to one consumer of the group or to all.
    pub enum MessageModel as "MessageModel" {
        Broadcasting = "BROADCASTING",
        Clustering = "CLUSTERING",
    }
}

java_enum! {
    /// Where a consumer group without a stored offset starts.
    pub enum ConsumeFromWhere as "ConsumeFromWhere" {
        ConsumeFromLastOffset = "CONSUME_FROM_LAST_OFFSET",
        /// Deprecated in Java; treated like LAST_OFFSET.
        ConsumeFromLastOffsetAndFromMinWhenBootFirst =
            "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        /// Deprecated in Java; treated like FIRST_OFFSET.
        ConsumeFromMinOffset = "CONSUME_FROM_MIN_OFFSET",
        /// Deprecated in Java; treated like LAST_OFFSET.
        ConsumeFromMaxOffset = "CONSUME_FROM_MAX_OFFSET",
        ConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        ConsumeFromTimestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

crate::body::serde_json_body! {
    HeartbeatData => "HeartbeatData",
    ConsumerData => "ConsumerData",
    ProducerData => "ProducerData",
    SubscriptionData => "SubscriptionData",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JavaEnum;

    #[test]
    fn enum_ordinals_follow_java_declaration_order() {
        assert_eq!(
            ConsumeFromWhere::from_ordinal(4),
            Some(ConsumeFromWhere::ConsumeFromFirstOffset)
        );
        assert_eq!(ConsumeFromWhere::ConsumeFromTimestamp.ordinal(), 5);
        assert_eq!(
            MessageModel::from_ordinal(1),
            Some(MessageModel::Clustering)
        );
        assert_eq!(ConsumeType::from_ordinal(3), None);
    }

    #[test]
    fn enum_names_match_in_any_case_and_by_alias() {
        assert_eq!(
            MessageModel::from_java_name("Clustering"),
            Some(MessageModel::Clustering)
        );
        assert_eq!(
            ConsumeType::from_java_name("PUSH"),
            Some(ConsumeType::ConsumePassively)
        );
        assert_eq!(
            ConsumeType::from_java_name("2"),
            Some(ConsumeType::ConsumePop)
        );
        assert_eq!(ConsumeFromWhere::from_java_name("UNKNOWN"), None);
    }

    #[test]
    fn empty_expression_type_is_a_tag_subscription() {
        let sub = SubscriptionData {
            expression_type: String::new(),
            ..Default::default()
        };
        assert!(sub.is_tag_type());
        assert!(sub.is_sub_all());
        let sql = SubscriptionData {
            expression_type: "SQL92".into(),
            ..Default::default()
        };
        assert!(!sql.is_tag_type());
    }
}
