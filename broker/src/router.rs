//! Cross-shard calls over glommio's channel mesh.
//!
//! Every shard holds the [`Senders`] side of one full mesh of
//! [`ShardMessage`]s. A call to another shard sends a [`Task`] with a token
//! and parks a local slot under that token; the owner runs the task and sends
//! a [`ShardMessage::Reply`] back, which completes the slot. Messages carry
//! decoded commands whose bodies are `Bytes` (shared, not copied), `Arc`
//! snapshots and small strings: everything is `Send`, nothing is locked.
//!
//! A call is bounded by a timeout: a shard that stopped (shutdown) or a
//! full channel never hangs the caller.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::future;
use glommio::channels::channel_mesh::Senders;
use thrust_core::frame::RemotingCommand;
use thrust_net::{Event, Response};

use crate::client_manager::{ChannelKey, SubscriptionSnapshot};
use crate::ownership::ShardId;
use crate::subscription_group::GroupTable;
use crate::topic_config::{TopicConfig, TopicTable};

/// Where a request came from: the client's connection and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub channel: ChannelKey,
    pub peer: SocketAddr,
}

/// Work one shard asks another to do.
#[derive(Debug)]
pub enum Task {
    /// Append a (validated) send to a queue this shard owns.
    Append {
        command: RemotingCommand,
        header: Box<thrust_core::header::SendMessageRequestHeader>,
        origin: Origin,
        queue_id: u32,
    },
    /// Serve a pull of a queue this shard owns (may park).
    Pull {
        command: RemotingCommand,
        origin: Origin,
    },
    /// An offset request for a queue this shard owns.
    Offset {
        command: RemotingCommand,
        origin: Origin,
    },
    /// CONSUMER_SEND_MSG_BACK on the shard whose commit log holds the
    /// consumed message.
    SendBack {
        command: RemotingCommand,
        origin: Origin,
    },
    /// VIEW_MESSAGE_BY_ID on the shard whose commit log holds the record.
    ViewMessage { command: RemotingCommand },
    /// One shard's part of QUERY_MESSAGE: search its key index.
    QueryKeys(crate::processor::query::KeyLookup),
    /// A control-plane request for shard 0.
    Control {
        command: RemotingCommand,
        origin: Origin,
    },
    /// Shard 0: create `topic` from its template (send auto-create).
    AutoCreateTopic {
        topic: String,
        default_topic: String,
        queue_nums: u32,
    },
    /// Shard 0: create a subscription group if auto-create allows.
    EnsureGroup { group: String },
    /// Shard 0 → all: new snapshots; answered once applied, so a change is
    /// visible everywhere before the admin request that made it completes.
    Publish(Snapshots),
}

/// The answer to a [`Task`].
#[derive(Debug)]
pub enum Reply {
    Response(Option<Response>),
    Topic(Option<TopicConfig>),
    /// A shard's QUERY_MESSAGE part, or why it failed.
    Hits(Result<crate::processor::query::ShardHits, String>),
    Done,
}

/// Shard 0's published read-mostly state; `None` members are unchanged.
#[derive(Debug, Clone, Default)]
pub struct Snapshots {
    pub topics: Option<Arc<TopicTable>>,
    pub groups: Option<Arc<GroupTable>>,
    pub subscriptions: Option<Arc<SubscriptionSnapshot>>,
}

/// What travels on the mesh.
#[derive(Debug)]
pub enum ShardMessage {
    Call {
        from: ShardId,
        token: u64,
        task: Task,
    },
    Reply {
        token: u64,
        reply: Reply,
    },
    /// Shard 0 → the connection's shard: send NOTIFY_CONSUMER_IDS_CHANGED.
    Notify {
        connection: u64,
        group: String,
    },
    /// Any shard → shard 0: a connection closed.
    ConnectionClosed {
        channel: ChannelKey,
    },
    /// Shard 0 → the owner: a topic was deleted, drop its offsets.
    TopicDeleted {
        topic: String,
    },
}

/// Why a cross-shard call failed.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("shard {0} is not reachable (stopped)")]
    Unreachable(u16),
    #[error("shard {shard} did not answer within {timeout_ms} ms")]
    Timeout { shard: u16, timeout_ms: u128 },
}

#[derive(Default)]
struct Slot {
    reply: RefCell<Option<Reply>>,
    done: Event,
}

/// One shard's end of the mesh.
pub struct Router {
    me: ShardId,
    senders: Senders<ShardMessage>,
    /// Mesh peer id of each shard index (the mesh numbers peers in join
    /// order, which is not the stable shard order).
    peers: Vec<usize>,
    pending: RefCell<HashMap<u64, Rc<Slot>>>,
    next_token: Cell<u64>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Router(shard {}, {} pending)",
            self.me.0,
            self.pending.borrow().len()
        )
    }
}

impl Router {
    pub fn new(me: ShardId, senders: Senders<ShardMessage>, peers: Vec<usize>) -> Self {
        assert_eq!(peers.len(), senders.nr_consumers());
        assert_eq!(peers.get(me.index()), Some(&senders.peer_id()));
        let pending = RefCell::new(HashMap::new());
        Router {
            me,
            senders,
            peers,
            pending,
            next_token: Cell::new(1),
        }
    }

    fn peer(&self, shard: ShardId) -> usize {
        // Shard ids come from `ownership::owner`, always below the count.
        self.peers.get(shard.index()).copied().unwrap_or(usize::MAX)
    }

    pub fn me(&self) -> ShardId {
        self.me
    }

    /// Sends `task` to shard `to` (never this shard) and waits for its reply.
    ///
    /// # Errors
    /// [`RouteError::Unreachable`] if the peer's channel is closed,
    /// [`RouteError::Timeout`] if no reply came within `timeout`.
    pub async fn call(
        &self,
        to: ShardId,
        task: Task,
        timeout: Duration,
    ) -> Result<Reply, RouteError> {
        assert_ne!(to, self.me, "a shard calls itself directly");
        let token = self.next_token.get();
        self.next_token.set(token.wrapping_add(1));
        let slot = Rc::new(Slot::default());
        self.pending.borrow_mut().insert(token, slot.clone());
        let message = ShardMessage::Call {
            from: self.me,
            token,
            task,
        };
        if self.senders.send_to(self.peer(to), message).await.is_err() {
            self.pending.borrow_mut().remove(&token);
            return Err(RouteError::Unreachable(to.0));
        }
        let completed = future::or(
            async {
                slot.done.wait().await;
                true
            },
            async {
                glommio::timer::sleep(timeout).await;
                false
            },
        )
        .await;
        self.pending.borrow_mut().remove(&token);
        let reply = slot.reply.borrow_mut().take();
        match reply {
            Some(reply) if completed => Ok(reply),
            _ => Err(RouteError::Timeout {
                shard: to.0,
                timeout_ms: timeout.as_millis(),
            }),
        }
    }

    /// Sends a message that expects no reply. A stopped peer is logged.
    pub async fn post(&self, to: ShardId, message: ShardMessage) {
        assert_ne!(to, self.me);
        if self.senders.send_to(self.peer(to), message).await.is_err() {
            log::debug!(
                "shard {}: message to stopped shard {} dropped",
                self.me.0,
                to.0
            );
        }
    }

    /// Completes the call waiting under `token` (a late reply is dropped).
    pub fn complete(&self, token: u64, reply: Reply) {
        let slot = self.pending.borrow_mut().remove(&token);
        if let Some(slot) = slot {
            *slot.reply.borrow_mut() = Some(reply);
            slot.done.set();
        }
    }

    /// Number of shards in the mesh.
    pub fn shards(&self) -> usize {
        self.peers.len()
    }
}
