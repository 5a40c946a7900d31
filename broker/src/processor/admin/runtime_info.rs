//! Requests answered from the receiving shard's config alone:
//! GET_BROKER_RUNTIME_INFO (28), GET_BROKER_CONFIG (26),
//! GET_ALL_DELAY_OFFSET (45), and from the published snapshots
//! GET_TOPIC_CONFIG (351) and GET_SUBSCRIPTIONGROUP_CONFIG (352).
//!
//! The runtime table has the keys `mqadmin brokerStatus` and `clusterList`
//! parse. Thrust keeps no put/get counters, thread-pool queues or page-cache
//! lock timers, so those are honest zeros (numbers Java's parsers accept).

use std::collections::BTreeMap;

use thrust_core::body::{JsonBody, KVTable};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{GetSubscriptionGroupConfigRequestHeader, GetTopicConfigRequestHeader};

use super::Outcome;
use crate::processor::{decode_header, error_response, ok_response};
use crate::shard::ShardContext;
use crate::topic_config::now_ms;

/// The version Thrust reports: the protocol level it speaks (REMOTING.md).
pub const BROKER_VERSION_DESC: &str = "V5_3_3";
/// Java `MQVersion.Version.V5_3_3.ordinal()`.
pub const BROKER_VERSION: i32 = thrust_core::code::THRUST_REMOTING_VERSION;

/// Answers a local admin request.
pub fn execute(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    match RequestCode(command.code) {
        RequestCode::GET_BROKER_RUNTIME_INFO => Ok(runtime_info(shard, command)),
        RequestCode::GET_BROKER_CONFIG => Ok(broker_config(shard, command)),
        RequestCode::GET_TOPIC_CONFIG => topic_config(shard, command),
        RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG => group_config(shard, command),
        RequestCode::GET_ALL_DELAY_OFFSET => {
            Ok(ok_response(command).with_body(b"{\"offsetTable\":{}}".to_vec().into()))
        }
        _ => Err(error_response(
            command,
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
            format!(" request type {} not supported", command.code),
        )),
    }
}

/// The runtime table (`KVTable`) of this broker.
pub fn runtime_table(shard: &ShardContext) -> BTreeMap<String, String> {
    let mut table = BTreeMap::new();
    let mut put = |key: &str, value: String| {
        table.insert(key.to_string(), value);
    };
    put("brokerVersionDesc", BROKER_VERSION_DESC.to_string());
    put("brokerVersion", BROKER_VERSION.to_string());
    put("brokerActive", "true".to_string());
    put("brokerName", shard.config.broker_name.clone());
    put("brokerId", shard.config.broker_id.to_string());
    put("shards", shard.shards().to_string());
    put("currentTimeMillis", now_ms().to_string());
    for key in [
        "msgPutTotalYesterdayMorning",
        "msgPutTotalTodayMorning",
        "msgPutTotalTodayNow",
        "msgGetTotalYesterdayMorning",
        "msgGetTotalTodayMorning",
        "msgGetTotalTodayNow",
        "dispatchBehindBytes",
        "pageCacheLockTimeMills",
        "earliestMessageTimeStamp",
        "startAcceptSendRequestTimeStamp",
        "timerReadBehind",
        "timerOffsetBehind",
        "timerCongestNum",
        "remainTransientStoreBufferNumbs",
        "sendThreadPoolQueueSize",
        "pullThreadPoolQueueSize",
        "litePullThreadPoolQueueSize",
        "queryThreadPoolQueueSize",
        "ackThreadPoolQueueSize",
        "sendThreadPoolQueueHeadWaitTimeMills",
        "pullThreadPoolQueueHeadWaitTimeMills",
        "queryThreadPoolQueueHeadWaitTimeMills",
        "litePullThreadPoolQueueHeadWaitTimeMills",
        "ackThreadPoolQueueHeadWaitTimeMills",
        "EndTransactionQueueSize",
    ] {
        put(key, "0".to_string());
    }
    for key in [
        "putTps",
        "getTransferredTps",
        "getTransferedTps",
        "getFoundTps",
        "getMissTps",
        "getTotalTps",
        "timerEnqueueTps",
        "timerDequeueTps",
        "commitLogDiskRatio",
        "consumeQueueDiskRatio",
    ] {
        put(key, "0.0".to_string());
    }
    table
}

fn runtime_info(shard: &ShardContext, command: &RemotingCommand) -> RemotingCommand {
    let body = KVTable {
        table: runtime_table(shard),
    };
    ok_response(command).with_body(body.encode().into())
}

fn broker_config(shard: &ShardContext, command: &RemotingCommand) -> RemotingCommand {
    let version = shard.topics.borrow().data_version;
    let version = serde_json::to_string(&version).unwrap_or_else(|_| "{}".to_string());
    ok_response(command)
        .with_ext_field("version", version)
        .with_body(shard.config.to_properties().into_bytes().into())
}

/// GET_TOPIC_CONFIG: Java's `TopicConfigAndQueueMapping`, which is a
/// `TopicConfig` plus a `mappingDetail` Thrust never has.
fn topic_config(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetTopicConfigRequestHeader = decode_header(command)?;
    let Some(topic) = shard.topics.borrow().get(&header.topic).cloned() else {
        let remark = format!("No topic in this broker. topic: {}", header.topic);
        return Err(error_response(
            command,
            ResponseCode::TOPIC_NOT_EXIST,
            remark,
        ));
    };
    let body = crate::topic_config::to_wire(&topic).encode();
    Ok(ok_response(command).with_body(body.into()))
}

/// GET_SUBSCRIPTIONGROUP_CONFIG: one group's config.
fn group_config(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetSubscriptionGroupConfigRequestHeader = decode_header(command)?;
    let Some(group) = shard.groups.borrow().get(&header.group).cloned() else {
        let remark = format!("The consumer group {} not exist", header.group);
        return Err(error_response(
            command,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            remark,
        ));
    };
    let body = super::groups::to_wire(&group).encode();
    Ok(ok_response(command).with_body(body.into()))
}
