//! Shard 0's control plane: topics, groups, clients, locks, and the
//! requests that change them (HEART_BEAT, UNREGISTER_CLIENT,
//! GET_CONSUMER_LIST_BY_GROUP, LOCK/UNLOCK_BATCH_MQ, CHECK_CLIENT_CONFIG,
//! UPDATE_AND_CREATE_TOPIC, DELETE_TOPIC_IN_BROKER, GET_ALL_TOPIC_CONFIG).
//!
//! Every change that other shards must see is published as new immutable
//! snapshots and acknowledged by every shard before the request that made
//! it is answered. Topic changes also wake the registration task, so name
//! servers learn new topics at once (REMOTING.md trap 19).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use thrust_core::body::{
    CheckClientRequestBody, GetConsumerListByGroupResponseBody, HeartbeatData, JsonBody,
    LockBatchRequestBody, LockBatchResponseBody, MessageQueue, UnlockBatchRequestBody,
};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    CommandHeader, CreateTopicRequestHeader, DeleteTopicRequestHeader,
    GetConsumerListByGroupRequestHeader, UnregisterClientRequestHeader,
};
use thrust_net::{Event, Response};

use crate::client_manager::{ChannelKey, ClientManager, ConsumerHeartbeat, Subscription};
use crate::lock_manager::{LockManager, QueueName};
use crate::ownership::ShardId;
use crate::processor::{error_response, ok_response};
use crate::router::{Origin, Snapshots, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};
use crate::subscription_group::SubscriptionGroupManager;
use crate::topic_config::{
    now_ms, validate_topic_name, TopicConfig, TopicConfigManager, PERM_READ, PERM_WRITE,
    QUEUE_NUMS_MAX, RETRY_PREFIX,
};

/// Shard 0's mutable control state.
pub struct Control {
    pub topics: RefCell<TopicConfigManager>,
    pub groups: RefCell<SubscriptionGroupManager>,
    pub clients: RefCell<ClientManager>,
    pub locks: RefCell<LockManager>,
    /// Set (and replaced) to wake the registration task now.
    register_wakeup: RefCell<Rc<Event>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Control")
    }
}

impl Control {
    pub fn new(topics: TopicConfigManager, groups: SubscriptionGroupManager) -> Self {
        Control {
            topics: RefCell::new(topics),
            groups: RefCell::new(groups),
            clients: RefCell::new(ClientManager::default()),
            locks: RefCell::new(LockManager::default()),
            register_wakeup: RefCell::new(Rc::new(Event::new())),
        }
    }

    /// The event the registration task waits on (besides its period).
    pub fn register_wakeup(&self) -> Rc<Event> {
        self.register_wakeup.borrow().clone()
    }

    /// Asks the registration task to register now.
    pub fn request_register(&self) {
        let event = std::mem::replace(
            &mut *self.register_wakeup.borrow_mut(),
            Rc::new(Event::new()),
        );
        event.set();
    }
}

fn control(shard: &ShardContext) -> &Control {
    // Control tasks are only ever routed to shard 0, which has it.
    match &shard.control {
        Some(control) => control,
        None => panic!("control task on shard {} (routing bug)", shard.id.0),
    }
}

/// Forwards a control request to shard 0 (or runs it here on shard 0).
pub async fn route(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    match shard
        .run_on(ShardId(0), Task::Control { command, origin }, timeout)
        .await
    {
        Ok(crate::router::Reply::Response(response)) => response,
        Ok(_) => Some(fallback.with_remark(Some("unexpected reply".into())).into()),
        Err(err) => Some(fallback.with_remark(Some(err.to_string())).into()),
    }
}

/// Runs a control request on shard 0.
pub async fn execute(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let code = RequestCode(command.code);
    let result = match code {
        RequestCode::HEART_BEAT => heartbeat(shard, &command, origin).await,
        RequestCode::UNREGISTER_CLIENT => unregister_client(shard, &command).await,
        RequestCode::GET_CONSUMER_LIST_BY_GROUP => consumer_list(shard, &command),
        RequestCode::LOCK_BATCH_MQ => lock_batch(shard, &command),
        RequestCode::UNLOCK_BATCH_MQ => unlock_batch(shard, &command),
        RequestCode::CHECK_CLIENT_CONFIG => check_client_config(&command),
        RequestCode::UPDATE_AND_CREATE_TOPIC => create_topic(shard, &command).await,
        RequestCode::DELETE_TOPIC_IN_BROKER => delete_topic(shard, &command).await,
        RequestCode::GET_ALL_TOPIC_CONFIG => all_topic_config(shard, &command),
        code if crate::processor::admin::handles(code.0) => {
            return crate::processor::admin::execute(shard, command, origin).await
        }
        _ => return Some(Response::not_supported(&command)),
    };
    Some(result.unwrap_or_else(|response| response).into())
}

type Outcome = Result<RemotingCommand, RemotingCommand>;

fn decode_body<T: JsonBody>(command: &RemotingCommand) -> Result<T, RemotingCommand> {
    T::decode(&command.body).map_err(|err| {
        error_response(
            command,
            ResponseCode::SYSTEM_ERROR,
            format!("bad {} body: {err}", T::WHAT),
        )
    })
}

fn decode_header<T: CommandHeader>(command: &RemotingCommand) -> Result<T, RemotingCommand> {
    T::from_ext_fields(&command.ext_fields)
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))
}

async fn heartbeat(shard: &Rc<ShardContext>, command: &RemotingCommand, origin: Origin) -> Outcome {
    let data: HeartbeatData = decode_body(command)?;
    let now = now_ms();
    control(shard).clients.borrow_mut().note_client_info(
        origin.channel,
        crate::processor::admin::client_info(command, origin),
    );
    let groups_before = control(shard).groups.borrow().snapshot();
    let mut subscriptions_changed = false;
    let mut topics_changed = false;
    let mut to_notify = Vec::new();
    for consumer in &data.consumer_data_set {
        let group = consumer.group_name.as_str();
        if group.is_empty() {
            continue;
        }
        let config = control(shard).groups.borrow_mut().find_or_create(group);
        // As Apache: the retry topic only for a group that exists (or was
        // auto-created); the consumer is registered either way.
        let notify_enabled = match config {
            Ok(Some(config)) => {
                topics_changed |= ensure_retry_topic(shard, group, config.retry_queue_nums);
                config.notify_consumer_ids_changed_enable
            }
            Ok(None) => true,
            Err(err) => {
                log::error!("subscription group {group}: {err}");
                true
            }
        };
        let mut heartbeat = consumer_heartbeat(&data.client_id, consumer);
        heartbeat.without_subscriptions = data.without_sub;
        let outcome =
            control(shard)
                .clients
                .borrow_mut()
                .register_consumer(origin.channel, heartbeat, now);
        subscriptions_changed |= outcome.subscriptions_changed;
        if (outcome.members_changed || outcome.subscriptions_changed) && notify_enabled {
            to_notify.push(group.to_string());
        }
    }
    for producer in &data.producer_data_set {
        control(shard).clients.borrow_mut().register_producer(
            origin.channel,
            &producer.group_name,
            &data.client_id,
            now,
        );
    }
    let groups_changed =
        !std::sync::Arc::ptr_eq(&groups_before, &control(shard).groups.borrow().snapshot());
    publish_changes(shard, topics_changed, groups_changed, subscriptions_changed).await;
    for group in to_notify {
        notify_group(shard, &group).await;
    }
    Ok(ok_response(command)
        .with_ext_field("IS_SUPPORT_HEART_BEAT_V2", "true")
        .with_ext_field("IS_SUB_CHANGE", "true"))
}

fn consumer_heartbeat(
    client_id: &str,
    consumer: &thrust_core::body::ConsumerData,
) -> ConsumerHeartbeat {
    let subscriptions = consumer
        .subscription_data_set
        .iter()
        .map(|s| {
            let mut sub =
                Subscription::from_tags(&s.topic, &s.sub_string, &s.tags_set, s.sub_version);
            if !s.is_tag_type() {
                sub.expression_type = s.expression_type.clone();
            }
            sub
        })
        .collect();
    ConsumerHeartbeat {
        group: consumer.group_name.clone(),
        client_id: client_id.to_string(),
        consume_type: consumer
            .consume_type
            .map(|t| format!("{t:?}"))
            .unwrap_or_default(),
        message_model: consumer
            .message_model
            .map(|m| format!("{m:?}"))
            .unwrap_or_default(),
        consume_from_where: consumer
            .consume_from_where
            .map(|c| format!("{c:?}"))
            .unwrap_or_default(),
        subscriptions,
        without_subscriptions: false,
    }
}

/// Creates `%RETRY%<group>` (perm 6) if missing, with the group's
/// retryQueueNums (1 unless updateSubGroup changed it), so a heartbeat that
/// comes before the first send-back creates the topic the send-back would.
/// Returns whether the topic table changed.
fn ensure_retry_topic(shard: &ShardContext, group: &str, retry_queue_nums: u32) -> bool {
    let topic = format!("{RETRY_PREFIX}{group}");
    if validate_topic_name(&topic).is_err() {
        return false;
    }
    let mut topics = control(shard).topics.borrow_mut();
    if topics.get(&topic).is_some() {
        return false;
    }
    match topics.upsert(TopicConfig::new(
        &topic,
        retry_queue_nums.max(1),
        PERM_READ | PERM_WRITE,
    )) {
        Ok(changed) => changed,
        Err(err) => {
            log::error!("persisting topic {topic}: {err}");
            true
        }
    }
}

/// Publishes the snapshots named by the flags to every shard and waits
/// until each has applied them.
pub async fn publish_changes(
    shard: &Rc<ShardContext>,
    topics: bool,
    groups: bool,
    subscriptions: bool,
) {
    let control = control(shard);
    let snapshots = Snapshots {
        topics: topics.then(|| control.topics.borrow().snapshot()),
        groups: groups.then(|| control.groups.borrow().snapshot()),
        subscriptions: subscriptions.then(|| control.clients.borrow().subscription_snapshot()),
    };
    if snapshots.topics.is_none() && snapshots.groups.is_none() && snapshots.subscriptions.is_none()
    {
        return;
    }
    if topics {
        control.request_register();
    }
    shard.apply(snapshots.clone());
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    for index in 1..shard.shards() {
        let to = ShardId(u16::try_from(index).unwrap_or(u16::MAX));
        if let Err(err) = shard
            .router
            .call(to, Task::Publish(snapshots.clone()), timeout)
            .await
        {
            log::warn!("publishing snapshots to shard {index}: {err}");
        }
    }
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED to every member of `group`.
pub async fn notify_group(shard: &Rc<ShardContext>, group: &str) {
    let channels = control(shard).clients.borrow().consumer_channels(group);
    for channel in channels {
        notify_channel(shard, channel, group).await;
    }
}

async fn notify_channel(shard: &Rc<ShardContext>, channel: ChannelKey, group: &str) {
    let to = ShardId(channel.shard);
    if to == shard.id {
        shard.notify_consumer_ids_changed(channel.connection, group);
        return;
    }
    let message = crate::router::ShardMessage::Notify {
        connection: channel.connection,
        group: group.to_string(),
    };
    shard.router.post(to, message).await;
}

async fn unregister_client(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    let header: UnregisterClientRequestHeader = decode_header(command)?;
    let control = control(shard);
    if let Some(group) = header.producer_group.as_deref() {
        control
            .clients
            .borrow_mut()
            .unregister_producer(group, &header.client_id);
    }
    if let Some(group) = header.consumer_group.as_deref() {
        let left = control
            .clients
            .borrow_mut()
            .unregister_consumer(group, &header.client_id);
        if left {
            publish_changes(shard, false, false, true).await;
            notify_group(shard, group).await;
        }
    }
    Ok(ok_response(command))
}

/// A connection closed somewhere: drop its clients, tell their groups.
pub async fn connection_closed(shard: &Rc<ShardContext>, channel: ChannelKey) {
    let groups = control(shard).clients.borrow_mut().channel_closed(channel);
    groups_lost_members(shard, groups).await;
}

/// Drops clients silent for longer than `channelExpiredTimeout`.
pub async fn scan_expired_clients(shard: &Rc<ShardContext>) {
    let timeout_ms = i64::try_from(shard.config.channel_expired_timeout_ms).unwrap_or(i64::MAX);
    let groups = control(shard)
        .clients
        .borrow_mut()
        .scan_expired(now_ms(), timeout_ms);
    groups_lost_members(shard, groups).await;
}

async fn groups_lost_members(shard: &Rc<ShardContext>, groups: Vec<String>) {
    if groups.is_empty() {
        return;
    }
    publish_changes(shard, false, false, true).await;
    for group in groups {
        notify_group(shard, &group).await;
    }
}

fn consumer_list(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetConsumerListByGroupRequestHeader = decode_header(command)?;
    let ids = control(shard)
        .clients
        .borrow()
        .consumer_ids(&header.consumer_group);
    if ids.is_empty() {
        let remark = format!("no consumer for this group, {}", header.consumer_group);
        return Err(error_response(command, ResponseCode::SYSTEM_ERROR, remark));
    }
    let body = GetConsumerListByGroupResponseBody {
        consumer_id_list: ids,
    };
    Ok(ok_response(command).with_body(body.encode().into()))
}

fn queue_name(mq: &MessageQueue) -> QueueName {
    QueueName {
        topic: mq.topic.clone(),
        broker_name: mq.broker_name.clone(),
        queue_id: mq.queue_id,
    }
}

fn lock_batch(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let body: LockBatchRequestBody = decode_body(command)?;
    let queues: Vec<QueueName> = body.mq_set.iter().map(queue_name).collect();
    let granted = control(shard).locks.borrow_mut().lock_batch(
        &body.consumer_group,
        &queues,
        &body.client_id,
        now_ms(),
    );
    let lock_ok_mq_set = body
        .mq_set
        .iter()
        .filter(|mq| granted.contains(&queue_name(mq)))
        .cloned()
        .collect();
    let response = LockBatchResponseBody { lock_ok_mq_set };
    Ok(ok_response(command).with_body(response.encode().into()))
}

fn unlock_batch(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let body: UnlockBatchRequestBody = decode_body(command)?;
    let queues: Vec<QueueName> = body.mq_set.iter().map(queue_name).collect();
    control(shard)
        .locks
        .borrow_mut()
        .unlock_batch(&body.consumer_group, &queues, &body.client_id);
    Ok(ok_response(command))
}

fn check_client_config(command: &RemotingCommand) -> Outcome {
    let body: CheckClientRequestBody = decode_body(command)?;
    match &body.subscription_data {
        Some(sub) if !sub.is_tag_type() => Err(error_response(
            command,
            ResponseCode::SYSTEM_ERROR,
            "The broker does not support consumer to filter message by SQL92".to_string(),
        )),
        _ => Ok(ok_response(command)),
    }
}

async fn create_topic(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    let header: CreateTopicRequestHeader = decode_header(command)?;
    if let Err(err) = validate_topic_name(&header.topic) {
        return Err(error_response(
            command,
            ResponseCode::INVALID_PARAMETER,
            err.to_string(),
        ));
    }
    let queues_ok = |n: i32| (0..=QUEUE_NUMS_MAX as i32).contains(&n);
    if !queues_ok(header.read_queue_nums) || !queues_ok(header.write_queue_nums) {
        let remark = format!("queue nums must be within 0..={QUEUE_NUMS_MAX}");
        return Err(error_response(
            command,
            ResponseCode::INVALID_PARAMETER,
            remark,
        ));
    }
    let mut topic = TopicConfig::new(&header.topic, 0, 0);
    topic.read_queue_nums = header.read_queue_nums.unsigned_abs();
    topic.write_queue_nums = header.write_queue_nums.unsigned_abs();
    topic.perm = (header.perm & 0xF).unsigned_abs();
    topic.topic_filter_type = header.topic_filter_type.as_str().to_string();
    topic.topic_sys_flag = header.topic_sys_flag.unwrap_or(0).unsigned_abs();
    topic.order = header.order;
    let result = control(shard).topics.borrow_mut().upsert(topic);
    match result {
        Ok(changed) => publish_changes(shard, changed, false, false).await,
        Err(err) => {
            return Err(error_response(
                command,
                ResponseCode::SYSTEM_ERROR,
                err.to_string(),
            ));
        }
    }
    Ok(ok_response(command))
}

async fn delete_topic(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    let header: DeleteTopicRequestHeader = decode_header(command)?;
    let result = control(shard).topics.borrow_mut().delete(&header.topic);
    match result {
        Ok(true) => {
            publish_changes(shard, true, false, false).await;
            drop_topic_offsets(shard, &header.topic).await;
        }
        Ok(false) => {}
        Err(err) => {
            return Err(error_response(
                command,
                ResponseCode::SYSTEM_ERROR,
                err.to_string(),
            ))
        }
    }
    Ok(ok_response(command))
}

async fn drop_topic_offsets(shard: &Rc<ShardContext>, topic: &str) {
    shard.offsets.borrow_mut().remove_topic(topic);
    for index in 1..shard.shards() {
        let to = ShardId(u16::try_from(index).unwrap_or(u16::MAX));
        let message = crate::router::ShardMessage::TopicDeleted {
            topic: topic.to_string(),
        };
        shard.router.post(to, message).await;
    }
}

fn all_topic_config(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let snapshot = control(shard).topics.borrow().snapshot();
    let body = crate::topic_config::to_wire_wrapper(&snapshot);
    Ok(ok_response(command).with_body(body.encode().into()))
}

/// Send auto-create on shard 0: creates `topic` from `default_topic` and
/// publishes it. `None` if not allowed.
pub async fn auto_create_topic(
    shard: &Rc<ShardContext>,
    topic: &str,
    default_topic: &str,
    queue_nums: u32,
) -> Option<TopicConfig> {
    let control = control(shard);
    if let Some(existing) = control.topics.borrow().get(topic) {
        return Some(existing.clone());
    }
    let is_retry = topic.starts_with(RETRY_PREFIX);
    if !shard.config.auto_create_topic_enable && !is_retry {
        return None;
    }
    let created = control
        .topics
        .borrow()
        .auto_create_config(topic, default_topic, queue_nums)?;
    if let Err(err) = control.topics.borrow_mut().upsert(created.clone()) {
        log::error!("persisting auto-created topic {topic}: {err}");
    }
    log::info!(
        "auto-created topic {topic} with {} queues",
        created.write_queue_nums
    );
    publish_changes(shard, true, false, false).await;
    Some(created)
}

/// Creates a subscription group (if auto-create allows) and publishes it.
pub async fn ensure_group(shard: &Rc<ShardContext>, group: &str) {
    let before = control(shard).groups.borrow().snapshot();
    let result = control(shard).groups.borrow_mut().find_or_create(group);
    let changed = !std::sync::Arc::ptr_eq(&before, &control(shard).groups.borrow().snapshot());
    match result {
        Ok(Some(_)) => publish_changes(shard, false, changed, false).await,
        Ok(None) => {}
        Err(err) => log::error!("subscription group {group}: {err}"),
    }
}
