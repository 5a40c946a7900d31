//! Subscription group (consumer group) configuration (REMOTING.md §6.2):
//! `SubscriptionGroupConfig` as UPDATE_AND_CREATE_SUBSCRIPTIONGROUP sends it,
//! and `SubscriptionGroupWrapper`, the table GET_ALL_SUBSCRIPTIONGROUP_CONFIG
//! returns and `subscriptionGroup.json` holds. Member names and defaults are
//! Java's `remoting/protocol/subscription/*.java`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::body::java_enum::{self, java_enum};
use crate::body::lenient;
use crate::body::topic_config::DataVersion;

/// Java's `MixAll.MASTER_ID`.
pub const BROKER_ID_MASTER: i64 = 0;
/// Default `retryMaxTimes`: a message is retried 16 times, then goes to DLQ.
pub const RETRY_MAX_TIMES_DEFAULT: i32 = 16;
/// Default `consumeTimeoutMinute`.
pub const CONSUME_TIMEOUT_MINUTE_DEFAULT: i32 = 15;

/// One consumer group's configuration on a broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    pub attributes: BTreeMap<String, String>,
    /// Which broker consumers read from normally (0 = master).
    #[serde(deserialize_with = "lenient::int")]
    pub broker_id: i64,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_broadcast_enable: bool,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_enable: bool,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_from_min_enable: bool,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_message_orderly: bool,
    #[serde(deserialize_with = "lenient::int")]
    pub consume_timeout_minute: i32,
    pub group_name: String,
    pub group_retry_policy: GroupRetryPolicy,
    #[serde(deserialize_with = "lenient::int")]
    pub group_sys_flag: i32,
    #[serde(deserialize_with = "lenient::boolean")]
    pub notify_consumer_ids_changed_enable: bool,
    #[serde(deserialize_with = "lenient::int")]
    pub retry_max_times: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub retry_queue_nums: i32,
    /// Subscriptions declared on the group (5.x); absent from 4.x.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_data_set: Option<Vec<SimpleSubscriptionData>>,
    /// Which broker consumers switch to when the master is slow (1 = slave).
    #[serde(deserialize_with = "lenient::int")]
    pub which_broker_when_consume_slowly: i64,
}

impl Default for SubscriptionGroupConfig {
    /// Java's defaults (§6.2).
    fn default() -> Self {
        SubscriptionGroupConfig {
            attributes: BTreeMap::new(),
            broker_id: BROKER_ID_MASTER,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            consume_message_orderly: false,
            consume_timeout_minute: CONSUME_TIMEOUT_MINUTE_DEFAULT,
            group_name: String::new(),
            group_retry_policy: GroupRetryPolicy::default(),
            group_sys_flag: 0,
            notify_consumer_ids_changed_enable: true,
            retry_max_times: RETRY_MAX_TIMES_DEFAULT,
            retry_queue_nums: 1,
            subscription_data_set: None,
            which_broker_when_consume_slowly: 1,
        }
    }
}

impl SubscriptionGroupConfig {
    /// A group named `group_name` with Java's defaults.
    pub fn new(group_name: impl Into<String>) -> Self {
        SubscriptionGroupConfig {
            group_name: group_name.into(),
            ..Self::default()
        }
    }
}

/// How retries of a group are spaced (5.x, pop consumers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupRetryPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customized_retry_policy: Option<CustomizedRetryPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exponential_retry_policy: Option<ExponentialRetryPolicy>,
    #[serde(rename = "type", deserialize_with = "java_enum::required")]
    pub policy_type: GroupRetryPolicyType,
}

java_enum! {
    /// Which of the two retry policies applies.
    #[derive(Default)]
    pub enum GroupRetryPolicyType as "GroupRetryPolicyType" {
        Exponential = "EXPONENTIAL",
        #[default]
        Customized = "CUSTOMIZED",
    }
}

/// Delays in milliseconds before each retry; the last repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomizedRetryPolicy {
    pub next: Vec<i64>,
}

impl Default for CustomizedRetryPolicy {
    /// Java's ladder: 1s 5s 10s 30s 1m 2m … 10m 20m 30m 1h 2h.
    fn default() -> Self {
        const SECOND_MS: i64 = 1000;
        const MINUTE_MS: i64 = 60 * SECOND_MS;
        const HOUR_MS: i64 = 60 * MINUTE_MS;
        const NEXT_MS: [i64; 18] = [
            SECOND_MS,
            5 * SECOND_MS,
            10 * SECOND_MS,
            30 * SECOND_MS,
            MINUTE_MS,
            2 * MINUTE_MS,
            3 * MINUTE_MS,
            4 * MINUTE_MS,
            5 * MINUTE_MS,
            6 * MINUTE_MS,
            7 * MINUTE_MS,
            8 * MINUTE_MS,
            9 * MINUTE_MS,
            10 * MINUTE_MS,
            20 * MINUTE_MS,
            30 * MINUTE_MS,
            HOUR_MS,
            2 * HOUR_MS,
        ];
        let next = NEXT_MS.to_vec();
        CustomizedRetryPolicy { next }
    }
}

/// Delays growing by `multiplier` from `initial` up to `max` milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExponentialRetryPolicy {
    #[serde(deserialize_with = "lenient::int")]
    pub initial: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub max: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub multiplier: i64,
}

impl Default for ExponentialRetryPolicy {
    /// Java's defaults: 5 s, doubling, at most 2 h.
    fn default() -> Self {
        ExponentialRetryPolicy {
            initial: 5_000,
            max: 7_200_000,
            multiplier: 2,
        }
    }
}

/// A subscription declared on a group (5.x).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SimpleSubscriptionData {
    pub expression: String,
    pub expression_type: String,
    pub topic: String,
    #[serde(deserialize_with = "lenient::int")]
    pub version: i64,
}

/// Every group of a broker with the table's version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupWrapper {
    pub data_version: DataVersion,
    /// Group → topic → forbidden-operation bits (5.x ACL); kept, unused.
    pub forbidden_table: BTreeMap<String, BTreeMap<String, i32>>,
    /// Group name → config.
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

crate::body::serde_json_body! {
    SubscriptionGroupConfig => "SubscriptionGroupConfig",
    SubscriptionGroupWrapper => "SubscriptionGroupWrapper",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn missing_group_members_take_java_defaults() {
        let config = SubscriptionGroupConfig::decode(br#"{"groupName":"cg"}"#).unwrap();
        assert_eq!(config, SubscriptionGroupConfig::new("cg"));
        assert!(config.consume_enable && config.consume_broadcast_enable);
        assert_eq!((config.retry_queue_nums, config.retry_max_times), (1, 16));
        assert_eq!(config.which_broker_when_consume_slowly, 1);
        assert_eq!(
            config.group_retry_policy.policy_type,
            GroupRetryPolicyType::Customized
        );
    }
}
