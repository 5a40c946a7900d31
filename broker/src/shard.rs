//! One shard: its state, its startup, and the loop that serves messages
//! from the other shards.
//!
//! A shard is one glommio `LocalExecutor` thread. It owns the store of the
//! queues [`crate::ownership::owner`] gives it, their consumer offsets and
//! parked pulls, a copy of shard 0's published snapshots, and its end of the
//! mesh. Shard 0 additionally owns the control plane ([`Control`]).
//! Everything here is `Rc`/`RefCell`: a shard's state is only touched by its
//! own thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use glommio::channels::channel_mesh::Receivers;
use thrust_net::ConnectionContext;

use crate::client_manager::SubscriptionSnapshot;
use crate::config::BrokerConfig;
use crate::consumer_offset::ConsumerOffsetManager;
use crate::control::Control;
use crate::ownership::{self, ShardId};
use crate::queue_store::QueueStore;
use crate::router::{Reply, RouteError, Router, ShardMessage, Snapshots, Task};
use crate::subscription_group::GroupTable;
use crate::topic_config::TopicTable;

/// Bound of a forwarded non-pull request (an append waits for the store,
/// which under SYNC_FLUSH waits for the disk).
pub const FORWARD_TIMEOUT_MS: u64 = 10_000;
/// Extra time a forwarded pull may take beyond its hold time.
pub const PULL_FORWARD_SLACK_MS: u64 = 5_000;

/// The state of one shard.
pub struct ShardContext {
    pub id: ShardId,
    pub config: Arc<BrokerConfig>,
    pub topics: RefCell<Arc<TopicTable>>,
    pub groups: RefCell<Arc<GroupTable>>,
    pub subscriptions: RefCell<Arc<SubscriptionSnapshot>>,
    pub offsets: RefCell<ConsumerOffsetManager>,
    pub store: QueueStore,
    pub router: Router,
    /// This shard's client connections, by connection id (for NOTIFY).
    pub connections: RefCell<HashMap<u64, ConnectionContext>>,
    /// The control plane; `Some` on shard 0 only.
    pub control: Option<Control>,
}

impl std::fmt::Debug for ShardContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShardContext({})", self.id.0)
    }
}

impl ShardContext {
    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.router.shards()
    }

    /// The owner of `(topic, queue_id)`.
    pub fn owner(&self, topic: &str, queue_id: u32) -> ShardId {
        ownership::owner(topic, queue_id, self.shards())
    }

    /// Runs `task` on shard `to` (here if `to` is this shard).
    ///
    /// # Errors
    /// The peer is stopped or did not answer within `timeout`.
    pub async fn run_on(
        self: &Rc<Self>,
        to: ShardId,
        task: Task,
        timeout: Duration,
    ) -> Result<Reply, RouteError> {
        if to == self.id {
            return Ok(execute(self.clone(), task).await);
        }
        self.router.call(to, task, timeout).await
    }

    /// Applies snapshots published by shard 0.
    pub fn apply(&self, snapshots: Snapshots) {
        if let Some(topics) = snapshots.topics {
            *self.topics.borrow_mut() = topics;
        }
        if let Some(groups) = snapshots.groups {
            *self.groups.borrow_mut() = groups;
        }
        if let Some(subscriptions) = snapshots.subscriptions {
            *self.subscriptions.borrow_mut() = subscriptions;
        }
    }

    /// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) on a local connection.
    pub fn notify_consumer_ids_changed(&self, connection: u64, group: &str) {
        let ctx = self.connections.borrow().get(&connection).cloned();
        let Some(ctx) = ctx else {
            return;
        };
        let code = thrust_core::code::RequestCode::NOTIFY_CONSUMER_IDS_CHANGED.0;
        let command = thrust_core::frame::RemotingCommand::request(code)
            .with_ext_field("consumerGroup", group);
        if let Err(err) = ctx.send_oneway(command) {
            log::debug!("notify {group} on {ctx:?}: {err}");
        }
    }
}

/// Runs a task on this shard.
pub async fn execute(shard: Rc<ShardContext>, task: Task) -> Reply {
    match task {
        Task::Append {
            command,
            header,
            origin,
            queue_id,
        } => {
            let send =
                crate::processor::send::append_local(&shard, command, &header, origin, queue_id);
            Reply::Response(send.await)
        }
        Task::Pull { command, origin } => {
            Reply::Response(crate::processor::pull::execute(&shard, command, origin).await)
        }
        Task::Offset { command, origin } => {
            Reply::Response(crate::processor::offset::execute(&shard, command, origin).await)
        }
        Task::SendBack { command, origin } => {
            Reply::Response(crate::processor::send_back::execute(&shard, command, origin).await)
        }
        Task::ViewMessage { command } => {
            Reply::Response(crate::processor::view::execute(&shard, command).await)
        }
        Task::QueryKeys(lookup) => {
            Reply::Hits(crate::processor::query::execute(&shard, &lookup).await)
        }
        Task::Control { command, origin } => {
            Reply::Response(crate::control::execute(&shard, command, origin).await)
        }
        Task::AutoCreateTopic {
            topic,
            default_topic,
            queue_nums,
        } => Reply::Topic(
            crate::control::auto_create_topic(&shard, &topic, &default_topic, queue_nums).await,
        ),
        Task::EnsureGroup { group } => {
            crate::control::ensure_group(&shard, &group).await;
            Reply::Done
        }
        Task::Publish(snapshots) => {
            shard.apply(snapshots);
            Reply::Done
        }
    }
}

/// Serves messages from every other shard until their channels close.
pub fn spawn_mesh_receivers(shard: &Rc<ShardContext>, receivers: &mut Receivers<ShardMessage>) {
    for (_peer, receiver) in receivers.streams() {
        let shard = shard.clone();
        glommio::spawn_local(async move {
            while let Some(message) = receiver.recv().await {
                on_message(&shard, message);
            }
        })
        .detach();
    }
}

fn on_message(shard: &Rc<ShardContext>, message: ShardMessage) {
    match message {
        ShardMessage::Call { from, token, task } => {
            let shard = shard.clone();
            glommio::spawn_local(async move {
                let reply = execute(shard.clone(), task).await;
                let message = ShardMessage::Reply { token, reply };
                shard.router.post(from, message).await;
            })
            .detach();
        }
        ShardMessage::Reply { token, reply } => shard.router.complete(token, reply),
        ShardMessage::Notify { connection, group } => {
            shard.notify_consumer_ids_changed(connection, &group)
        }
        ShardMessage::ConnectionClosed { channel } => {
            let shard = shard.clone();
            glommio::spawn_local(async move {
                crate::control::connection_closed(&shard, channel).await
            })
            .detach();
        }
        ShardMessage::TopicDeleted { topic } => shard.offsets.borrow_mut().remove_topic(&topic),
    }
}
