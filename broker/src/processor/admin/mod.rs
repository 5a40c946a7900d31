//! Admin requests that `mqadmin` and Java's admin API send to a broker.
//!
//! Three kinds, by where their data lives:
//! - answered on the receiving shard from its config and snapshots
//!   ([`runtime_info`]: GET_BROKER_RUNTIME_INFO 28, GET_BROKER_CONFIG 26,
//!   GET_ALL_DELAY_OFFSET 45, GET_TOPIC_CONFIG 351,
//!   GET_SUBSCRIPTIONGROUP_CONFIG 352);
//! - gathered from every shard, each answering for the queues it owns
//!   ([`stats`]: GET_TOPIC_STATS_INFO 202, GET_CONSUME_STATS 208,
//!   GET_ALL_CONSUMER_OFFSET 43, QUERY_TOPICS_BY_CONSUMER 343,
//!   QUERY_TOPIC_CONSUME_BY_WHO 300);
//! - run on shard 0's control plane ([`groups`]: 200, 201, 207;
//!   [`clients`]: GET_CONSUMER_CONNECTION_LIST 203,
//!   GET_PRODUCER_CONNECTION_LIST 204).
//!
//! Gathering and control calls travel as [`Task::Control`]; a shard's part
//! of a gathered request is marked with the [`PART_FIELD`] header field,
//! which [`route`] strips from what peers send.

pub mod clients;
pub mod groups;
pub mod runtime_info;
pub mod stats;

use std::rc::Rc;
use std::time::Duration;

use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_net::Response;

use super::{error_response, forwarded_response};
use crate::client_manager::ClientInfo;
use crate::ownership::ShardId;
use crate::router::{Origin, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};

/// Header field marking one shard's part of a gathered request.
pub const PART_FIELD: &str = "thrustShardPart";

type Outcome = Result<RemotingCommand, RemotingCommand>;

/// Whether `code` is an admin request served here.
pub fn handles(code: i32) -> bool {
    is_local(code) || is_gathered(code) || is_control(code)
}

fn is_local(code: i32) -> bool {
    matches!(
        RequestCode(code),
        RequestCode::GET_BROKER_RUNTIME_INFO
            | RequestCode::GET_BROKER_CONFIG
            | RequestCode::GET_ALL_DELAY_OFFSET
            | RequestCode::GET_TOPIC_CONFIG
            | RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG
    )
}

fn is_gathered(code: i32) -> bool {
    matches!(
        RequestCode(code),
        RequestCode::GET_TOPIC_STATS_INFO
            | RequestCode::GET_CONSUME_STATS
            | RequestCode::GET_ALL_CONSUMER_OFFSET
            | RequestCode::QUERY_TOPICS_BY_CONSUMER
            | RequestCode::QUERY_TOPIC_CONSUME_BY_WHO
    )
}

fn is_control(code: i32) -> bool {
    matches!(
        RequestCode(code),
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
            | RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG
            | RequestCode::DELETE_SUBSCRIPTIONGROUP
            | RequestCode::GET_CONSUMER_CONNECTION_LIST
            | RequestCode::GET_PRODUCER_CONNECTION_LIST
    )
}

/// What a heartbeat tells about its connection, for connection lists.
pub fn client_info(command: &RemotingCommand, origin: Origin) -> ClientInfo {
    ClientInfo {
        addr: origin.peer.to_string(),
        language: command.language.name().unwrap_or("OTHER").to_string(),
        version: command.version,
    }
}

/// Entry point for an admin request received on this shard.
pub async fn route(
    shard: &Rc<ShardContext>,
    mut command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    command.ext_fields.remove(PART_FIELD);
    let code = command.code;
    if is_local(code) {
        let result = runtime_info::execute(shard, &command);
        return Some(result.unwrap_or_else(|response| response).into());
    }
    if is_gathered(code) {
        let result = stats::gather(shard, &command, origin).await;
        return Some(result.unwrap_or_else(|response| response).into());
    }
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    let task = Task::Control { command, origin };
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    forwarded_response(fallback, shard.run_on(ShardId(0), task, timeout).await)
}

/// Runs an admin [`Task::Control`] on this shard: a shard's part of a
/// gathered request, or (on shard 0) a control request.
pub async fn execute(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let result = if command.ext_field(PART_FIELD).is_some() {
        stats::local_part(shard, &command).await
    } else if shard.control.is_none() {
        let remark = format!(
            "admin request {} routed to shard {}",
            command.code, shard.id.0
        );
        Err(error_response(&command, ResponseCode::SYSTEM_ERROR, remark))
    } else {
        match RequestCode(command.code) {
            RequestCode::GET_CONSUMER_CONNECTION_LIST => {
                clients::consumer_connections(shard, &command)
            }
            RequestCode::GET_PRODUCER_CONNECTION_LIST => {
                clients::producer_connections(shard, &command)
            }
            code if is_control(code.0) => groups::execute(shard, &command, origin).await,
            _ => return Some(Response::not_supported(&command)),
        }
    };
    Some(result.unwrap_or_else(|response| response).into())
}

/// Shard ids `0..shards`.
fn all_shards(shard: &ShardContext) -> impl Iterator<Item = ShardId> {
    (0..shard.shards()).map(|index| ShardId(u16::try_from(index).unwrap_or(u16::MAX)))
}
