//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320):
//! REMOTING.md §3.1.
//!
//! [`route`] runs on the connection's shard: decode, validate the topic
//! name, sizes and queue id against the topic snapshot (auto-creating the
//! topic through shard 0 when allowed), then hand the request to the
//! queue's owner. [`append_local`] runs on the owner: it encodes one record
//! per message (the single copy of the body, into the store's buffer),
//! appends them, and builds the response header clients require (msgId,
//! queueId, queueOffset, transactionId, MSG_REGION, TRACE_ON).

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::BytesMut;
use thrust_core::code::ResponseCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    CommandHeader, SendHeaderVersion, SendMessageRequestHeader, SendMessageResponseHeader,
};
use thrust_core::message::batch::decode_batch;
use thrust_core::message::msg_id::OffsetMsgId;
use thrust_core::message::properties::{
    find_property, PROPERTY_CLUSTER, PROPERTY_DELAY_TIME_LEVEL,
    PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, PROPERTY_WAIT_STORE_MSG_OK,
};
use thrust_core::message::record::{encode_record, RecordInput};
use thrust_net::Response;

use super::{error_response, forwarded_response};
use crate::config::FlushDiskType;
use crate::queue_store::physical_offset_at;
use crate::router::{Origin, Reply, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};
use crate::topic_config::{validate_topic_name, TopicConfig, RETRY_PREFIX, TOPICS_NOT_SENDABLE};

/// Messages in one batch request, at most.
pub const BATCH_MESSAGES_MAX: usize = 1024;

type Outcome<T> = Result<T, RemotingCommand>;

fn decode(command: &RemotingCommand) -> Outcome<SendMessageRequestHeader> {
    let version = SendHeaderVersion::detect(&command.ext_fields);
    SendMessageRequestHeader::decode_as(&command.ext_fields, version)
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))
}

fn with_send_ext(response: RemotingCommand) -> RemotingCommand {
    response
        .with_ext_field("MSG_REGION", "DefaultRegion")
        .with_ext_field("TRACE_ON", "true")
}

/// Validates a send on the connection's shard and forwards it to the owner.
pub async fn route(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let (mut header, queue_id) = match check(shard, &command).await {
        Ok(found) => found,
        Err(response) => return Some(with_send_ext(response).into()),
    };
    // §3.1 steps 5 and 7: an exhausted retry goes to the DLQ; a delayed
    // message waits in its schedule queue.
    let redirect =
        super::send_back::redirect_exhausted_retry(shard, &command, &mut header, queue_id);
    let mut queue_id = match redirect.await {
        Ok(queue_id) => queue_id,
        Err(response) => return Some(with_send_ext(response).into()),
    };
    let props = header.properties.as_deref().unwrap_or("").as_bytes();
    if find_property(props, PROPERTY_DELAY_TIME_LEVEL).is_some() {
        let levels = shard.config.delay_levels();
        if let Some(schedule_queue) = crate::schedule::park(&mut header, queue_id, &levels) {
            queue_id = schedule_queue;
        }
    }
    let owner = shard.owner(&header.topic, queue_id);
    // Cheap (no extFields); the send extFields are added only if it is used.
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    // The decoded header travels with the command: the owner does not
    // decode it again; the body is a shared `Bytes`, not a copy.
    let task = Task::Append {
        command,
        header: Box::new(header),
        origin,
        queue_id,
    };
    let result = shard
        .run_on(owner, task, Duration::from_millis(FORWARD_TIMEOUT_MS))
        .await;
    match result {
        Ok(Reply::Response(response)) => response,
        other => forwarded_response(with_send_ext(fallback), other),
    }
}

async fn check(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
) -> Outcome<(SendMessageRequestHeader, u32)> {
    let header = decode(command)?;
    let fail = |code: ResponseCode, remark: String| error_response(command, code, remark);
    if let Err(err) = validate_topic_name(&header.topic) {
        return Err(fail(ResponseCode::INVALID_PARAMETER, err.to_string()));
    }
    if TOPICS_NOT_SENDABLE.contains(&header.topic.as_str()) {
        let remark = format!("Sending message to topic[{}] is forbidden.", header.topic);
        return Err(fail(ResponseCode::NO_PERMISSION, remark));
    }
    check_sizes(
        command,
        &header,
        shard.config.max_message_size_bytes as usize,
    )?;
    let topic = find_or_create_topic(shard, command, &header).await?;
    if !topic.is_writable() {
        let remark = format!("the topic[{}] sending message is forbidden", header.topic);
        return Err(fail(ResponseCode::NO_PERMISSION, remark));
    }
    let queue_id = pick_queue(command, &header, &topic)?;
    Ok((header, queue_id))
}

fn check_sizes(
    command: &RemotingCommand,
    header: &SendMessageRequestHeader,
    limit: usize,
) -> Outcome<()> {
    let fail = |remark: String| error_response(command, ResponseCode::MESSAGE_ILLEGAL, remark);
    if command.body.len() > limit {
        return Err(fail(format!(
            "the message body size {} exceeds the limit {limit}",
            command.body.len()
        )));
    }
    if command.body.is_empty() {
        return Err(fail("the message body is empty".to_string()));
    }
    let properties_len = header.properties.as_ref().map(String::len).unwrap_or(0);
    if properties_len > i16::MAX as usize {
        return Err(fail(format!(
            "the properties size {properties_len} exceeds 32767"
        )));
    }
    if header.is_batch() && header.topic.starts_with(RETRY_PREFIX) {
        return Err(fail(
            "batch request does not support retry group".to_string(),
        ));
    }
    // Apache's commit log refuses a delayed batch (MESSAGE_ILLEGAL): its
    // messages would share one schedule slot but keep separate offsets.
    let header_props = header.properties.as_deref().unwrap_or("").as_bytes();
    let delay = find_property(header_props, PROPERTY_DELAY_TIME_LEVEL);
    let delayed = delay.is_some_and(|level| level.trim().parse::<i32>().is_ok_and(|l| l > 0));
    if header.is_batch() && delayed {
        return Err(fail(
            "batch message does not support delay level".to_string(),
        ));
    }
    Ok(())
}

async fn find_or_create_topic(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    header: &SendMessageRequestHeader,
) -> Outcome<TopicConfig> {
    if let Some(topic) = shard.topics.borrow().get(&header.topic) {
        return Ok(topic.clone());
    }
    let queue_nums = u32::try_from(header.default_topic_queue_nums).unwrap_or(0);
    let task = Task::AutoCreateTopic {
        topic: header.topic.clone(),
        default_topic: header.default_topic.clone(),
        queue_nums,
    };
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    match shard
        .run_on(crate::ownership::ShardId(0), task, timeout)
        .await
    {
        Ok(Reply::Topic(Some(topic))) => Ok(topic),
        Ok(_) => Err(error_response(
            command,
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!", header.topic),
        )),
        Err(err) => Err(error_response(
            command,
            ResponseCode::SYSTEM_ERROR,
            err.to_string(),
        )),
    }
}

fn pick_queue(
    command: &RemotingCommand,
    header: &SendMessageRequestHeader,
    topic: &TopicConfig,
) -> Outcome<u32> {
    let queues = topic.queue_nums_max();
    if header.queue_id >= 0 {
        let queue_id = header.queue_id.unsigned_abs();
        if queue_id >= queues {
            let remark = format!(
                "request queueId[{}] is illegal, topic {} has {} queues",
                header.queue_id, topic.topic_name, queues
            );
            return Err(error_response(
                command,
                ResponseCode::INVALID_PARAMETER,
                remark,
            ));
        }
        return Ok(queue_id);
    }
    if topic.write_queue_nums == 0 {
        let remark = format!("topic {} has no write queue", topic.topic_name);
        return Err(error_response(command, ResponseCode::NO_PERMISSION, remark));
    }
    Ok(random_u32() % topic.write_queue_nums)
}

fn random_u32() -> u32 {
    thread_local! {
        static STATE: std::cell::Cell<u64> = std::cell::Cell::new(seed());
    }
    STATE.with(|state| {
        // xorshift64*: cheap, good enough to spread queues.
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    })
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(1);
    u64::from(nanos) | 1
}

/// Appends a validated send on the owning shard and answers it.
pub async fn append_local(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    header: &SendMessageRequestHeader,
    origin: Origin,
    queue_id: u32,
) -> Option<Response> {
    assert_eq!(
        shard.owner(&header.topic, queue_id),
        shard.id,
        "append routed to a non-owner"
    );
    let response = match append_checked(shard, &command, header, origin.peer, queue_id).await {
        Ok(response) | Err(response) => response,
    };
    Some(with_send_ext(response).into())
}

/// The records of one send, contiguous, as the store appends them.
struct Encoded {
    records: BytesMut,
    sizes_bytes: Vec<u64>,
    uniq_keys: Vec<String>,
}

async fn append_checked(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    header: &SendMessageRequestHeader,
    born_host: SocketAddr,
    queue_id: u32,
) -> Outcome<RemotingCommand> {
    let context = RecordContext {
        born_host,
        store_host: store_host(shard),
        now_ms: crate::topic_config::now_ms(),
        queue_id,
    };
    let encoded = encode(shard, command, header, &context)?;
    let props = header.properties.as_deref().unwrap_or("");
    let wait = find_property(props.as_bytes(), PROPERTY_WAIT_STORE_MSG_OK) != Some("false");
    let wait_durable = wait && shard.config.flush_disk_type == FlushDiskType::Sync;
    let stored = shard
        .store
        .append(&header.topic, queue_id, &encoded.records, wait_durable)
        .await
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))?;
    let mut msg_ids = Vec::with_capacity(encoded.sizes_bytes.len());
    let mut position_bytes = 0u64;
    for size_bytes in &encoded.sizes_bytes {
        let offset = physical_offset_at(stored.physical_offset_first, position_bytes);
        msg_ids.push(
            OffsetMsgId::new(context.store_host, offset)
                .encode()
                .as_str()
                .to_string(),
        );
        position_bytes += size_bytes;
    }
    let single_uniq_key = (encoded.uniq_keys.len() == 1).then(|| encoded.uniq_keys.first());
    let response_header = SendMessageResponseHeader {
        msg_id: msg_ids.join(","),
        queue_id: i32::try_from(queue_id).unwrap_or(i32::MAX),
        queue_offset: stored.queue_offset_first,
        transaction_id: single_uniq_key.flatten().cloned(),
        ..SendMessageResponseHeader::default()
    };
    let mut response = super::ok_response(command);
    response_header.to_ext_fields(&mut response.ext_fields);
    Ok(response)
}

fn store_host(shard: &ShardContext) -> SocketAddr {
    let ip = shard
        .config
        .broker_ip1
        .parse()
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST);
    SocketAddr::new(std::net::IpAddr::V4(ip), shard.config.listen_port)
}

/// What every record of one send shares.
struct RecordContext {
    born_host: SocketAddr,
    store_host: SocketAddr,
    now_ms: i64,
    queue_id: u32,
}

/// One message: body, its properties and its user flag.
struct MessagePart<'a> {
    body: &'a [u8],
    properties: &'a [u8],
    flag: i32,
}

fn encode(
    shard: &ShardContext,
    command: &RemotingCommand,
    header: &SendMessageRequestHeader,
    context: &RecordContext,
) -> Outcome<Encoded> {
    let records = BytesMut::with_capacity(command.body.len() + 512);
    let mut out = Encoded {
        records,
        sizes_bytes: Vec::new(),
        uniq_keys: Vec::new(),
    };
    let header_props = header.properties.as_deref().unwrap_or("").as_bytes();
    if !header.is_batch() {
        let part = MessagePart {
            body: &command.body,
            properties: header_props,
            flag: header.flag,
        };
        push_record(shard, command, header, context, part, &mut out)?;
        return Ok(out);
    }
    for entry in decode_batch(&command.body) {
        let entry = entry.map_err(|err| {
            error_response(
                command,
                ResponseCode::MESSAGE_ILLEGAL,
                format!("bad batch: {err}"),
            )
        })?;
        if out.sizes_bytes.len() >= BATCH_MESSAGES_MAX {
            let remark = format!("batch has more than {BATCH_MESSAGES_MAX} messages");
            return Err(error_response(
                command,
                ResponseCode::MESSAGE_ILLEGAL,
                remark,
            ));
        }
        // Each entry's properties followed by the header's (§5.6).
        let mut props = entry.properties.to_vec();
        props.extend_from_slice(header_props);
        let part = MessagePart {
            body: entry.body,
            properties: &props,
            flag: entry.flag,
        };
        push_record(shard, command, header, context, part, &mut out)?;
    }
    if out.sizes_bytes.is_empty() {
        return Err(error_response(
            command,
            ResponseCode::MESSAGE_ILLEGAL,
            "empty batch".into(),
        ));
    }
    Ok(out)
}

fn push_record(
    shard: &ShardContext,
    command: &RemotingCommand,
    header: &SendMessageRequestHeader,
    context: &RecordContext,
    part: MessagePart<'_>,
    out: &mut Encoded,
) -> Outcome<()> {
    let mut props = Vec::with_capacity(part.properties.len() + 64);
    props.extend_from_slice(part.properties);
    let uniq = match find_property(part.properties, PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) {
        Some(key) => key.to_string(),
        None => {
            let key = generate_uniq_key(shard, context.now_ms);
            append_property(&mut props, PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, &key);
            key
        }
    };
    if find_property(part.properties, PROPERTY_CLUSTER).is_none() {
        append_property(
            &mut props,
            PROPERTY_CLUSTER,
            &shard.config.broker_cluster_name,
        );
    }
    let input = RecordInput {
        topic: &header.topic,
        queue_id: i32::try_from(context.queue_id).unwrap_or(i32::MAX),
        flag: part.flag,
        sys_flag: header.sys_flag,
        born_timestamp: header.born_timestamp,
        born_host: context.born_host,
        store_timestamp: context.now_ms,
        store_host: context.store_host,
        reconsume_times: header.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
        body: part.body,
        properties: &props,
        queue_offset: 0,
        physical_offset: 0,
    };
    let before = out.records.len();
    encode_record(&input, &mut out.records)
        .map_err(|err| error_response(command, ResponseCode::MESSAGE_ILLEGAL, err.to_string()))?;
    out.sizes_bytes.push((out.records.len() - before) as u64);
    out.uniq_keys.push(uniq);
    Ok(())
}

fn append_property(props: &mut Vec<u8>, name: &str, value: &str) {
    if !props.is_empty() && props.last() != Some(&0x02) {
        props.push(0x02);
    }
    props.extend_from_slice(name.as_bytes());
    props.push(0x01);
    props.extend_from_slice(value.as_bytes());
    props.push(0x02);
}

/// A UNIQ_KEY for a message that has none: hex of shard, time and a counter.
fn generate_uniq_key(shard: &ShardContext, now: i64) -> String {
    thread_local! {
        static COUNTER: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    let counter = COUNTER.with(|c| {
        let n = c.get().wrapping_add(1);
        c.set(n);
        n
    });
    format!(
        "{:04X}{:016X}{:08X}{:04X}",
        std::process::id() & 0xFFFF,
        now,
        counter,
        shard.id.0
    )
}
