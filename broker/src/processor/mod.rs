//! Request processors: the entry point [`dispatch`] runs on the shard whose
//! connection received the request, validates what it can against that
//! shard's snapshots, and forwards queue work to the owning shard and
//! control work to shard 0.
//!
//! Unknown codes answer REQUEST_CODE_NOT_SUPPORTED (3). A header that does
//! not decode answers SYSTEM_ERROR (1) with the decode error as remark, as
//! Java's broker does; nothing a peer sends can panic the shard.

pub mod admin;
pub mod offset;
pub mod pull;
pub mod query;
pub mod send;
pub mod send_back;
pub mod view;

use std::rc::Rc;

use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::CommandHeader;
use thrust_net::Response;

use crate::router::Origin;
use crate::shard::ShardContext;

/// Handles one request received on this shard.
pub async fn dispatch(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    match RequestCode(command.code) {
        RequestCode::SEND_MESSAGE
        | RequestCode::SEND_MESSAGE_V2
        | RequestCode::SEND_BATCH_MESSAGE => send::route(shard, command, origin).await,
        RequestCode::CONSUMER_SEND_MSG_BACK => send_back::route(shard, command, origin).await,
        RequestCode::VIEW_MESSAGE_BY_ID => view::route(shard, command).await,
        RequestCode::QUERY_MESSAGE => query::route(shard, command).await,
        RequestCode::PULL_MESSAGE | RequestCode::LITE_PULL_MESSAGE => {
            pull::route(shard, command, origin).await
        }
        RequestCode::QUERY_CONSUMER_OFFSET
        | RequestCode::UPDATE_CONSUMER_OFFSET
        | RequestCode::GET_MAX_OFFSET
        | RequestCode::GET_MIN_OFFSET
        | RequestCode::SEARCH_OFFSET_BY_TIMESTAMP
        | RequestCode::GET_EARLIEST_MSG_STORETIME => offset::route(shard, command, origin).await,
        RequestCode::HEART_BEAT
        | RequestCode::UNREGISTER_CLIENT
        | RequestCode::GET_CONSUMER_LIST_BY_GROUP
        | RequestCode::LOCK_BATCH_MQ
        | RequestCode::UNLOCK_BATCH_MQ
        | RequestCode::CHECK_CLIENT_CONFIG
        | RequestCode::UPDATE_AND_CREATE_TOPIC
        | RequestCode::DELETE_TOPIC_IN_BROKER
        | RequestCode::GET_ALL_TOPIC_CONFIG => crate::control::route(shard, command, origin).await,
        RequestCode(code) if admin::handles(code) => admin::route(shard, command, origin).await,
        _ => Some(Response::not_supported(&command)),
    }
}

/// A SUCCESS response to `request`.
pub fn ok_response(request: &RemotingCommand) -> RemotingCommand {
    request.response_to(ResponseCode::SUCCESS.0, None)
}

/// An error response with `code` and `remark`.
pub fn error_response(
    request: &RemotingCommand,
    code: ResponseCode,
    remark: String,
) -> RemotingCommand {
    request.response_to(code.0, Some(remark))
}

/// Decodes a typed header or builds the SYSTEM_ERROR answer.
pub fn decode_header<T: CommandHeader>(request: &RemotingCommand) -> Result<T, RemotingCommand> {
    T::from_ext_fields(&request.ext_fields)
        .map_err(|err| error_response(request, ResponseCode::SYSTEM_ERROR, err.to_string()))
}

/// Maps a forwarded call's outcome to the response sent to the client.
pub fn forwarded_response(
    request_fallback: RemotingCommand,
    result: Result<crate::router::Reply, crate::router::RouteError>,
) -> Option<Response> {
    match result {
        Ok(crate::router::Reply::Response(response)) => response,
        Ok(_) => Some(
            request_fallback
                .with_remark(Some("unexpected shard reply".into()))
                .into(),
        ),
        Err(err) => Some(request_fallback.with_remark(Some(err.to_string())).into()),
    }
}
