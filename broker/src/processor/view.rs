//! VIEW_MESSAGE_BY_ID (33): one stored record by its commit-log offset
//! (REMOTING.md §3.10). Clients decode the offset msgId into the broker's
//! address and the physical offset; the offset's high bits name the shard
//! whose commit log holds the record, so [`route`] forwards there and
//! [`execute`] answers with the record as the body, sent from the store's
//! buffer without a copy. An offset that names no shard or no record answers
//! SYSTEM_ERROR, as Java does.

use std::rc::Rc;
use std::time::Duration;

use thrust_core::code::ResponseCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::ViewMessageRequestHeader;
use thrust_net::Response;

use super::{decode_header, error_response, forwarded_response, ok_response};
use crate::ownership::ShardId;
use crate::router::Task;
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};

/// Forwards the request to the shard named by the physical offset.
pub async fn route(shard: &Rc<ShardContext>, command: RemotingCommand) -> Option<Response> {
    let header: ViewMessageRequestHeader = match decode_header(&command) {
        Ok(header) => header,
        Err(response) => return Some(response.into()),
    };
    let owner = thrust_storage::PhysicalOffset::from_raw(header.offset)
        .map(|offset| offset.shard().0)
        .filter(|index| usize::from(*index) < shard.shards());
    let Some(owner) = owner else {
        return Some(not_found(&command, header.offset).into());
    };
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    let task = Task::ViewMessage { command };
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    let result = shard.run_on(ShardId(owner), task, timeout).await;
    forwarded_response(fallback, result)
}

/// Reads the record on the shard whose store holds it.
pub async fn execute(shard: &Rc<ShardContext>, command: RemotingCommand) -> Option<Response> {
    let header: ViewMessageRequestHeader = match decode_header(&command) {
        Ok(header) => header,
        Err(response) => return Some(response.into()),
    };
    match shard.store.record_at(header.offset).await {
        Ok(Some(record)) => Some(Response::with_chunks(ok_response(&command), vec![record])),
        Ok(None) => Some(not_found(&command, header.offset).into()),
        Err(err) => {
            let remark = format!("view message by offset {}: {err}", header.offset);
            Some(error_response(&command, ResponseCode::SYSTEM_ERROR, remark).into())
        }
    }
}

fn not_found(command: &RemotingCommand, offset: i64) -> RemotingCommand {
    let remark = format!("can not find message by the offset, {offset}");
    error_response(command, ResponseCode::SYSTEM_ERROR, remark)
}
