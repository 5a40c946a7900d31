//! The [`RequestHandler`] every shard's servers use: names the connection
//! ([`ChannelKey`]), tracks this shard's connections for NOTIFY, tells shard
//! 0 when one closes, and hands requests to [`crate::processor::dispatch`].

use std::rc::Rc;

use thrust_core::frame::RemotingCommand;
use thrust_net::{ConnectionContext, RequestHandler, Response};

use crate::client_manager::ChannelKey;
use crate::ownership::ShardId;
use crate::router::{Origin, ShardMessage};
use crate::shard::ShardContext;

/// One per shard, shared by its connections.
#[derive(Debug)]
pub struct BrokerHandler {
    pub shard: Rc<ShardContext>,
}

impl BrokerHandler {
    fn channel(&self, ctx: &ConnectionContext) -> ChannelKey {
        ChannelKey {
            shard: self.shard.id.0,
            connection: ctx.id().0,
        }
    }
}

impl RequestHandler for BrokerHandler {
    async fn handle(&self, ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        let origin = Origin {
            channel: self.channel(ctx),
            peer: ctx.peer_addr(),
        };
        crate::processor::dispatch(&self.shard, request, origin).await
    }

    fn on_connection_opened(&self, ctx: &ConnectionContext) {
        self.shard
            .connections
            .borrow_mut()
            .insert(ctx.id().0, ctx.clone());
    }

    fn on_connection_closed(&self, ctx: &ConnectionContext) {
        self.shard.connections.borrow_mut().remove(&ctx.id().0);
        let channel = self.channel(ctx);
        let shard = self.shard.clone();
        glommio::spawn_local(async move {
            if shard.id == ShardId(0) {
                crate::control::connection_closed(&shard, channel).await;
            } else {
                shard
                    .router
                    .post(ShardId(0), ShardMessage::ConnectionClosed { channel })
                    .await;
            }
        })
        .detach();
    }
}
