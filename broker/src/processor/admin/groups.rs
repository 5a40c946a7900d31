//! Subscription-group admin on shard 0: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
//! (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201), DELETE_SUBSCRIPTIONGROUP
//! (207). Changes are persisted, then published to every shard before the
//! answer.

use std::rc::Rc;

use thrust_core::body::{JsonBody, SubscriptionGroupConfig as WireGroup, SubscriptionGroupWrapper};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::DeleteSubscriptionGroupRequestHeader;

use super::Outcome;
use crate::control::{publish_changes, Control};
use crate::processor::{decode_header, error_response, ok_response};
use crate::router::Origin;
use crate::shard::ShardContext;
use crate::subscription_group::SubscriptionGroupConfig;
use crate::topic_config::validate_topic_name;

/// Runs a group admin request on shard 0.
pub async fn execute(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome {
    match RequestCode(command.code) {
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => upsert(shard, command).await,
        RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => Ok(all_groups(shard, command)),
        RequestCode::DELETE_SUBSCRIPTIONGROUP => delete(shard, command, origin).await,
        _ => {
            let remark = format!(" request type {} not supported", command.code);
            Err(error_response(
                command,
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                remark,
            ))
        }
    }
}

fn control(shard: &ShardContext) -> Result<&Control, String> {
    shard
        .control
        .as_ref()
        .ok_or_else(|| format!("group admin routed to shard {}", shard.id.0))
}

fn system_error(command: &RemotingCommand, remark: String) -> RemotingCommand {
    error_response(command, ResponseCode::SYSTEM_ERROR, remark)
}

/// A wire config as stored; `None` if a number is out of range.
pub fn from_wire(wire: &WireGroup) -> Option<SubscriptionGroupConfig> {
    Some(SubscriptionGroupConfig {
        group_name: wire.group_name.clone(),
        consume_enable: wire.consume_enable,
        consume_from_min_enable: wire.consume_from_min_enable,
        consume_broadcast_enable: wire.consume_broadcast_enable,
        retry_queue_nums: u32::try_from(wire.retry_queue_nums).ok()?,
        retry_max_times: u32::try_from(wire.retry_max_times).ok()?,
        broker_id: u64::try_from(wire.broker_id).ok()?,
        which_broker_when_consume_slowly: u64::try_from(wire.which_broker_when_consume_slowly)
            .ok()?,
        notify_consumer_ids_changed_enable: wire.notify_consumer_ids_changed_enable,
    })
}

/// A stored config as Java admin reads it.
pub fn to_wire(config: &SubscriptionGroupConfig) -> WireGroup {
    WireGroup {
        consume_enable: config.consume_enable,
        consume_from_min_enable: config.consume_from_min_enable,
        consume_broadcast_enable: config.consume_broadcast_enable,
        retry_queue_nums: i32::try_from(config.retry_queue_nums).unwrap_or(i32::MAX),
        retry_max_times: i32::try_from(config.retry_max_times).unwrap_or(i32::MAX),
        broker_id: i64::try_from(config.broker_id).unwrap_or(i64::MAX),
        which_broker_when_consume_slowly: i64::try_from(config.which_broker_when_consume_slowly)
            .unwrap_or(i64::MAX),
        notify_consumer_ids_changed_enable: config.notify_consumer_ids_changed_enable,
        ..WireGroup::new(config.group_name.as_str())
    }
}

async fn upsert(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    let wire = WireGroup::decode(&command.body)
        .map_err(|err| system_error(command, format!("bad SubscriptionGroupConfig body: {err}")))?;
    if let Err(err) = validate_topic_name(&wire.group_name) {
        let remark = format!("group name {:?}: {err}", wire.group_name);
        return Err(error_response(
            command,
            ResponseCode::INVALID_PARAMETER,
            remark,
        ));
    }
    let Some(config) = from_wire(&wire) else {
        let remark = "negative numbers in SubscriptionGroupConfig".to_string();
        return Err(error_response(
            command,
            ResponseCode::INVALID_PARAMETER,
            remark,
        ));
    };
    let control = control(shard).map_err(|remark| system_error(command, remark))?;
    let result = control.groups.borrow_mut().upsert(config);
    if let Err(err) = result {
        return Err(system_error(command, err.to_string()));
    }
    publish_changes(shard, false, true, false).await;
    Ok(ok_response(command))
}

fn all_groups(shard: &ShardContext, command: &RemotingCommand) -> RemotingCommand {
    let table = shard.groups.borrow().clone();
    let version = table.data_version;
    let body = SubscriptionGroupWrapper {
        data_version: thrust_core::body::DataVersion {
            counter: version.counter,
            state_version: version.state_version,
            timestamp: version.timestamp,
        },
        forbidden_table: Default::default(),
        subscription_group_table: table
            .subscription_group_table
            .iter()
            .map(|(name, config)| (name.clone(), to_wire(config)))
            .collect(),
    };
    ok_response(command).with_body(body.encode().into())
}

async fn delete(shard: &Rc<ShardContext>, command: &RemotingCommand, origin: Origin) -> Outcome {
    let header: DeleteSubscriptionGroupRequestHeader = decode_header(command)?;
    let control = control(shard).map_err(|remark| system_error(command, remark))?;
    let result = control.groups.borrow_mut().delete(&header.group_name);
    match result {
        Ok(true) => publish_changes(shard, false, true, false).await,
        Ok(false) => {}
        Err(err) => return Err(system_error(command, err.to_string())),
    }
    if header.clean_offset {
        super::stats::parts(shard, command, origin).await?;
    }
    Ok(ok_response(command))
}
