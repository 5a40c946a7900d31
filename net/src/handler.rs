//! What a server (or client) does with the requests a peer sends.

use std::future::Future;

use thrust_core::frame::RemotingCommand;

use crate::connection::ConnectionContext;
use crate::response::Response;

/// Serves the requests arriving on connections; one value per shard,
/// shared by every connection of that shard (`Rc`, never sent).
///
/// Each request runs as its own local task, so `handle` may wait (long
/// polling) while later requests of the same connection complete first.
pub trait RequestHandler: 'static {
    /// Handles one request. `Some` is sent back (the framework sets the
    /// opaque and the response flag); `None` sends nothing. For oneway
    /// requests (flag bit 1) any response is dropped.
    ///
    /// Unknown codes should answer [`Response::not_supported`].
    fn handle(
        &self,
        ctx: &ConnectionContext,
        request: RemotingCommand,
    ) -> impl Future<Output = Option<Response>>;

    /// Called once when a connection is accepted.
    fn on_connection_opened(&self, _ctx: &ConnectionContext) {}

    /// Called once when a connection is closed, whatever the cause.
    fn on_connection_closed(&self, _ctx: &ConnectionContext) {}
}

/// A handler that supports no request: answers REQUEST_CODE_NOT_SUPPORTED.
/// The client uses it for requests a server sends to it.
#[derive(Default, Debug, Clone, Copy)]
pub struct RejectAll;

impl RequestHandler for RejectAll {
    async fn handle(&self, _ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        Some(Response::not_supported(&request))
    }
}
