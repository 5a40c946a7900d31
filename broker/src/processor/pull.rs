//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361) with long polling:
//! REMOTING.md §3.3, §3.4.
//!
//! [`route`] (connection shard) checks group, topic, permission and queue id
//! against the snapshots and forwards to the queue's owner. [`execute`]
//! (owner) resolves the subscription, stores a piggy-backed commit offset,
//! reads, and, when nothing is there yet and the client allows it, parks:
//! it waits on the queue's arrival event or the hold time, whichever comes
//! first, re-reading after each arrival (a filtered-out arrival keeps it
//! parked). The response body is the stored records themselves, written
//! from the store's buffers.

use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::future;
use thrust_core::code::ResponseCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{CommandHeader, PullMessageRequestHeader, PullMessageResponseHeader};
use thrust_net::Response;

use super::{decode_header, error_response, forwarded_response};
use crate::client_manager::Subscription;
use crate::queue_store::{ReadOutcome, ReadStatus};
use crate::router::{Origin, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS, PULL_FORWARD_SLACK_MS};

/// PullSysFlag bits.
pub const FLAG_COMMIT_OFFSET: i32 = 0x1;
pub const FLAG_SUSPEND: i32 = 0x2;
pub const FLAG_SUBSCRIPTION: i32 = 0x4;

/// Longest hold: clients time out pulls at 30 s (trap 9).
pub const HOLD_MS_MAX: u64 = 25_000;
/// Bytes of one pull response body, at most (frames are capped at 16 MiB).
pub const PULL_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Messages of one pull response, at most, whatever `maxMsgNums` asks.
pub const PULL_MESSAGES_MAX: usize = 1024;
/// Default `maxMsgBytes` when the client sends none.
pub const PULL_BYTES_DEFAULT: usize = 256 * 1024;
/// Re-reads of one parked pull, at most (each after an arrival).
pub const PARKED_READS_MAX: usize = 10_000;

type Outcome<T> = Result<T, RemotingCommand>;

/// Validates a pull on the connection's shard and forwards it to the owner.
pub async fn route(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let (owner, hold_ms) = match check(shard, &command).await {
        Ok(found) => found,
        Err(response) => return Some(response.into()),
    };
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    let timeout = Duration::from_millis(hold_ms + PULL_FORWARD_SLACK_MS.max(FORWARD_TIMEOUT_MS));
    let result = shard
        .run_on(owner, Task::Pull { command, origin }, timeout)
        .await;
    forwarded_response(fallback, result)
}

async fn check(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
) -> Outcome<(crate::ownership::ShardId, u64)> {
    let header: PullMessageRequestHeader = decode_header(command)?;
    check_group(shard, command, &header.consumer_group).await?;
    let topics = shard.topics.borrow().clone();
    let Some(topic) = topics.get(&header.topic) else {
        let remark = format!("topic[{}] not exist, apply first please!", header.topic);
        return Err(error_response(
            command,
            ResponseCode::TOPIC_NOT_EXIST,
            remark,
        ));
    };
    if !topic.is_readable() {
        let remark = format!("the topic[{}] pulling message is forbidden", header.topic);
        return Err(error_response(command, ResponseCode::NO_PERMISSION, remark));
    }
    let queue_id = u32::try_from(header.queue_id)
        .ok()
        .filter(|q| *q < topic.read_queue_nums);
    let Some(queue_id) = queue_id else {
        let remark = format!(
            "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}]",
            header.queue_id, header.topic, topic.read_queue_nums
        );
        return Err(error_response(
            command,
            ResponseCode::INVALID_PARAMETER,
            remark,
        ));
    };
    Ok((
        shard.owner(&header.topic, queue_id),
        hold_ms(shard, &header),
    ))
}

async fn check_group(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    group: &str,
) -> Outcome<()> {
    let known = shard.groups.borrow().get(group).cloned();
    let config = match known {
        Some(config) => config,
        None if shard.config.auto_create_subscription_group && !group.is_empty() => {
            let task = Task::EnsureGroup {
                group: group.to_string(),
            };
            let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
            if let Err(err) = shard
                .run_on(crate::ownership::ShardId(0), task, timeout)
                .await
            {
                return Err(error_response(
                    command,
                    ResponseCode::SYSTEM_ERROR,
                    err.to_string(),
                ));
            }
            return Ok(());
        }
        None => {
            let remark = format!("subscription group [{group}] does not exist");
            return Err(error_response(
                command,
                ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                remark,
            ));
        }
    };
    if !config.consume_enable {
        let remark = format!("subscription group no permission, {group}");
        return Err(error_response(command, ResponseCode::NO_PERMISSION, remark));
    }
    Ok(())
}

fn hold_ms(shard: &ShardContext, header: &PullMessageRequestHeader) -> u64 {
    if header.sys_flag & FLAG_SUSPEND == 0 {
        return 0;
    }
    let requested = if shard.config.long_polling_enable {
        u64::try_from(header.suspend_timeout_millis).unwrap_or(0)
    } else {
        shard.config.short_polling_time_ms
    };
    requested.min(HOLD_MS_MAX)
}

/// Serves a pull on the queue's owner, parking it if allowed.
pub async fn execute(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    _origin: Origin,
) -> Option<Response> {
    match execute_checked(shard, &command).await {
        Ok(response) => Some(response),
        Err(response) => Some(response.into()),
    }
}

async fn execute_checked(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome<Response> {
    let header: PullMessageRequestHeader = decode_header(command)?;
    let subscription = resolve_subscription(shard, command, &header)?;
    let queue_id = u32::try_from(header.queue_id).unwrap_or(u32::MAX);
    assert_eq!(
        shard.owner(&header.topic, queue_id),
        shard.id,
        "pull routed to a non-owner"
    );
    if header.sys_flag & FLAG_COMMIT_OFFSET != 0 && header.commit_offset >= 0 {
        let mut offsets = shard.offsets.borrow_mut();
        offsets.commit(
            &header.consumer_group,
            &header.topic,
            queue_id,
            header.commit_offset,
        );
    }
    let hold = Duration::from_millis(hold_ms(shard, &header));
    let deadline = Instant::now() + hold;
    for _ in 0..PARKED_READS_MAX {
        let arrived = shard.store.arrival(&header.topic, queue_id);
        let outcome = read(shard, command, &header, queue_id, &subscription).await?;
        let code = response_code(&outcome, header.queue_offset);
        let now = Instant::now();
        if code != ResponseCode::PULL_NOT_FOUND || now >= deadline {
            return Ok(build_response(command, outcome, code));
        }
        let remaining = deadline - now;
        future::or(arrived.wait(), glommio::timer::sleep(remaining)).await;
    }
    let outcome = read(shard, command, &header, queue_id, &subscription).await?;
    let code = response_code(&outcome, header.queue_offset);
    Ok(build_response(command, outcome, code))
}

async fn read(
    shard: &ShardContext,
    command: &RemotingCommand,
    header: &PullMessageRequestHeader,
    queue_id: u32,
    subscription: &Subscription,
) -> Outcome<ReadOutcome> {
    let count_max = usize::try_from(header.max_msg_nums)
        .unwrap_or(1)
        .clamp(1, PULL_MESSAGES_MAX);
    let bytes_max = header
        .max_msg_bytes
        .and_then(|b| usize::try_from(b).ok())
        .unwrap_or(PULL_BYTES_DEFAULT)
        .clamp(1, PULL_BYTES_MAX);
    let filter = |tags_code: i64| subscription.matches(tags_code);
    shard
        .store
        .read(
            &header.topic,
            queue_id,
            header.queue_offset,
            count_max,
            bytes_max,
            &filter,
        )
        .await
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))
}

fn resolve_subscription(
    shard: &ShardContext,
    command: &RemotingCommand,
    header: &PullMessageRequestHeader,
) -> Outcome<Subscription> {
    let sql = |expression_type: &str| expression_type.eq_ignore_ascii_case("SQL92");
    if header.sys_flag & FLAG_SUBSCRIPTION != 0 {
        let expression_type = header.expression_type.as_deref().unwrap_or("TAG");
        if sql(expression_type) {
            return Err(sql_not_supported(command));
        }
        let expression = header.subscription.as_deref().unwrap_or("*");
        return Ok(Subscription::from_expression(
            &header.topic,
            expression,
            header.sub_version,
        ));
    }
    let snapshot = shard.subscriptions.borrow().clone();
    let not_exist =
        |what: String| error_response(command, ResponseCode::SUBSCRIPTION_NOT_EXIST, what);
    let Some(group) = snapshot.groups.get(&header.consumer_group) else {
        return Err(not_exist(format!(
            "the consumer's group info not exist: {}",
            header.consumer_group
        )));
    };
    let Some(subscription) = group.by_topic.get(&header.topic) else {
        return Err(not_exist(format!(
            "the consumer's subscription not exist: {}",
            header.topic
        )));
    };
    if subscription.sub_version < header.sub_version {
        let remark = format!("the consumer's subscription not latest: {}", header.topic);
        return Err(error_response(
            command,
            ResponseCode::SUBSCRIPTION_NOT_LATEST,
            remark,
        ));
    }
    if sql(&subscription.expression_type) {
        return Err(sql_not_supported(command));
    }
    Ok(subscription.clone())
}

fn sql_not_supported(command: &RemotingCommand) -> RemotingCommand {
    let remark = "The broker does not support consumer to filter message by SQL92".to_string();
    error_response(command, ResponseCode::SYSTEM_ERROR, remark)
}

/// The response code for a read (§3.3 result mapping).
pub fn response_code(outcome: &ReadOutcome, queue_offset: i64) -> ResponseCode {
    match outcome.status {
        ReadStatus::Found => ResponseCode::SUCCESS,
        ReadStatus::NoMatchedMessage | ReadStatus::MessageWasRemoving => {
            ResponseCode::PULL_RETRY_IMMEDIATELY
        }
        ReadStatus::OffsetOverflowOne | ReadStatus::OffsetFoundNull => ResponseCode::PULL_NOT_FOUND,
        ReadStatus::OffsetTooSmall | ReadStatus::OffsetOverflowBadly => {
            ResponseCode::PULL_OFFSET_MOVED
        }
        ReadStatus::NoMessageInQueue | ReadStatus::NoMatchedLogicQueue => {
            if queue_offset == 0 {
                ResponseCode::PULL_NOT_FOUND
            } else {
                ResponseCode::PULL_OFFSET_MOVED
            }
        }
    }
}

fn build_response(command: &RemotingCommand, outcome: ReadOutcome, code: ResponseCode) -> Response {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: outcome.next_begin_offset,
        min_offset: outcome.min_offset,
        max_offset: outcome.max_offset,
        ..PullMessageResponseHeader::default()
    };
    let mut response = command.response_to(code.0, Some(outcome.status.name().to_string()));
    header.to_ext_fields(&mut response.ext_fields);
    if code == ResponseCode::SUCCESS {
        Response::with_chunks(response, outcome.records)
    } else {
        Response::new(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: ReadStatus) -> ReadOutcome {
        ReadOutcome {
            status,
            records: Vec::new(),
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
        }
    }

    #[test]
    fn store_statuses_map_to_apache_pull_codes() {
        let code = |status, offset| response_code(&outcome(status), offset);
        assert_eq!(code(ReadStatus::Found, 0), ResponseCode::SUCCESS);
        assert_eq!(
            code(ReadStatus::NoMatchedMessage, 3),
            ResponseCode::PULL_RETRY_IMMEDIATELY
        );
        assert_eq!(
            code(ReadStatus::MessageWasRemoving, 3),
            ResponseCode::PULL_RETRY_IMMEDIATELY
        );
        assert_eq!(
            code(ReadStatus::OffsetOverflowOne, 3),
            ResponseCode::PULL_NOT_FOUND
        );
        assert_eq!(
            code(ReadStatus::OffsetOverflowBadly, 9),
            ResponseCode::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code(ReadStatus::OffsetTooSmall, 0),
            ResponseCode::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code(ReadStatus::NoMessageInQueue, 0),
            ResponseCode::PULL_NOT_FOUND
        );
        assert_eq!(
            code(ReadStatus::NoMessageInQueue, 4),
            ResponseCode::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code(ReadStatus::NoMatchedLogicQueue, 0),
            ResponseCode::PULL_NOT_FOUND
        );
        assert_eq!(
            code(ReadStatus::NoMatchedLogicQueue, 1),
            ResponseCode::PULL_OFFSET_MOVED
        );
    }
}
