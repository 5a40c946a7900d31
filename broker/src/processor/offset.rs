//! Offsets of one queue, served by its owner: QUERY_CONSUMER_OFFSET (14),
//! UPDATE_CONSUMER_OFFSET (15), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
//! SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32):
//! REMOTING.md §3.5, §3.6.

use std::rc::Rc;
use std::time::Duration;

use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    BoundaryType, GetEarliestMsgStoretimeRequestHeader, GetMaxOffsetRequestHeader,
    GetMinOffsetRequestHeader, QueryConsumerOffsetRequestHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use thrust_net::Response;

use super::{decode_header, error_response, forwarded_response, ok_response};
use crate::router::{Origin, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};

type Outcome = Result<RemotingCommand, RemotingCommand>;

/// Every offset request names `topic` and `queueId`: route on them.
pub async fn route(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let topic = command.ext_field("topic").unwrap_or("").to_string();
    let queue_id = command
        .ext_field("queueId")
        .and_then(|q| q.trim().parse::<u32>().ok());
    let Some(queue_id) = queue_id else {
        let remark = "header field `queueId` is missing or not a valid queue id".to_string();
        return Some(error_response(&command, ResponseCode::SYSTEM_ERROR, remark).into());
    };
    let owner = shard.owner(&topic, queue_id);
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    let task = Task::Offset { command, origin };
    let result = shard
        .run_on(owner, task, Duration::from_millis(FORWARD_TIMEOUT_MS))
        .await;
    forwarded_response(fallback, result)
}

/// Runs an offset request on the queue's owner.
pub async fn execute(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    _origin: Origin,
) -> Option<Response> {
    let result = match RequestCode(command.code) {
        RequestCode::QUERY_CONSUMER_OFFSET => query_consumer_offset(shard, &command),
        RequestCode::UPDATE_CONSUMER_OFFSET => update_consumer_offset(shard, &command),
        RequestCode::GET_MAX_OFFSET => max_offset(shard, &command),
        RequestCode::GET_MIN_OFFSET => min_offset(shard, &command),
        RequestCode::SEARCH_OFFSET_BY_TIMESTAMP => search_offset(shard, &command).await,
        RequestCode::GET_EARLIEST_MSG_STORETIME => earliest_time(shard, &command).await,
        _ => return Some(Response::not_supported(&command)),
    };
    Some(result.unwrap_or_else(|response| response).into())
}

fn queue(queue_id: i32) -> u32 {
    // `route` only forwards non-negative queue ids.
    u32::try_from(queue_id).unwrap_or(u32::MAX)
}

fn with_offset(command: &RemotingCommand, key: &str, value: i64) -> RemotingCommand {
    ok_response(command).with_ext_field(key, value.to_string())
}

fn query_consumer_offset(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: QueryConsumerOffsetRequestHeader = decode_header(command)?;
    let queue_id = queue(header.queue_id);
    let stored = shard
        .offsets
        .borrow()
        .query(&header.consumer_group, &header.topic, queue_id);
    if let Some(offset) = stored {
        return Ok(with_offset(command, "offset", offset));
    }
    // Apache: a new group on a young queue (first message still there)
    // starts at 0, unless the client asked not to (trap 22).
    let (min, max) = shard.store.offsets(&header.topic, queue_id);
    if header.set_zero_if_not_found != Some(false) && min <= 0 && max > 0 {
        return Ok(with_offset(command, "offset", 0));
    }
    Err(error_response(
        command,
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, maybe this group consumer boot first".into(),
    ))
}

fn update_consumer_offset(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: UpdateConsumerOffsetRequestHeader = decode_header(command)?;
    if shard.groups.borrow().get(&header.consumer_group).is_none() {
        let remark = format!(
            "subscription group [{}] does not exist",
            header.consumer_group
        );
        return Err(error_response(
            command,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            remark,
        ));
    }
    if shard.topics.borrow().get(&header.topic).is_none() {
        let remark = format!("topic[{}] not exist", header.topic);
        return Err(error_response(
            command,
            ResponseCode::TOPIC_NOT_EXIST,
            remark,
        ));
    }
    let queue_id = queue(header.queue_id);
    let mut offsets = shard.offsets.borrow_mut();
    offsets.commit(
        &header.consumer_group,
        &header.topic,
        queue_id,
        header.commit_offset,
    );
    Ok(ok_response(command))
}

fn max_offset(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetMaxOffsetRequestHeader = decode_header(command)?;
    let (_, max) = shard.store.offsets(&header.topic, queue(header.queue_id));
    Ok(with_offset(command, "offset", max))
}

fn min_offset(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetMinOffsetRequestHeader = decode_header(command)?;
    let (min, _) = shard.store.offsets(&header.topic, queue(header.queue_id));
    Ok(with_offset(command, "offset", min))
}

async fn search_offset(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: SearchOffsetRequestHeader = decode_header(command)?;
    let upper = header.boundary_type == Some(BoundaryType::Upper);
    let offset = shard
        .store
        .offset_by_timestamp(
            &header.topic,
            queue(header.queue_id),
            header.timestamp,
            upper,
        )
        .await
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))?;
    Ok(with_offset(command, "offset", offset))
}

async fn earliest_time(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetEarliestMsgStoretimeRequestHeader = decode_header(command)?;
    let time = shard
        .store
        .earliest_store_time(&header.topic, queue(header.queue_id))
        .await
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))?;
    Ok(with_offset(command, "timestamp", time))
}
