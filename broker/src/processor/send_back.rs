//! CONSUMER_SEND_MSG_BACK (36): retry and dead-letter (REMOTING.md §3.11).
//!
//! [`route`] runs on the connection's shard and forwards the request to the
//! shard whose commit log holds the consumed message (the physical offset
//! names it). [`execute`] runs there: it loads the record and re-sends a
//! copy through the ordinary send path ([`super::send::route`]), either to
//! `%RETRY%<group>` with `DELAY` = the chosen level (so it waits in the
//! schedule topic, [`crate::schedule`]) and reconsumeTimes + 1, or, once the
//! group's maximum is reached or `delayLevel < 0`, to `%DLQ%<group>` queue
//! 0. Both topics are created on demand by the send path (1 queue, perm 6)
//! and registered with the name servers.

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::SendMessageRequestHeader;
use thrust_core::header::{ConsumerSendMsgBackRequestHeader, SendHeaderVersion};
use thrust_core::message::msg_id::OffsetMsgId;
use thrust_core::message::properties::{
    find_property, PROPERTY_DELAY_TIME_LEVEL, PROPERTY_MAX_RECONSUME_TIMES,
    PROPERTY_ORIGIN_MESSAGE_ID, PROPERTY_RECONSUME_TIME, PROPERTY_RETRY_TOPIC,
};
use thrust_core::message::record::RecordView;
use thrust_core::message::topic::{dlq_topic, retry_topic};
use thrust_net::Response;

use super::{decode_header, error_response, forwarded_response, ok_response};
use crate::ownership::ShardId;
use crate::router::{Origin, Task};
use crate::schedule::{properties_without, push_property};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};
use crate::subscription_group::SubscriptionGroupConfig;
use crate::topic_config::PERM_WRITE;

/// The first retry waits this many levels plus the reconsume count (Apache).
pub const RETRY_DELAY_LEVEL_BASE: i32 = 3;

type Outcome<T> = Result<T, RemotingCommand>;
type LocalBoxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// Forwards a send-back to the shard that stored the consumed message.
pub async fn route(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    let header: ConsumerSendMsgBackRequestHeader = match decode_header(&command) {
        Ok(header) => header,
        Err(response) => return Some(response.into()),
    };
    let owner = thrust_storage::PhysicalOffset::from_raw(header.offset)
        .map(|offset| offset.shard().0)
        .filter(|index| usize::from(*index) < shard.shards());
    let Some(owner) = owner else {
        let remark = format!("look message by offset failed, {}", header.offset);
        return Some(error_response(&command, ResponseCode::SYSTEM_ERROR, remark).into());
    };
    let fallback = command.response_to(ResponseCode::SYSTEM_ERROR.0, None);
    let task = Task::SendBack { command, origin };
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    let result = shard.run_on(ShardId(owner), task, timeout).await;
    forwarded_response(fallback, result)
}

/// Handles a send-back on the shard whose store holds the message.
pub async fn execute(
    shard: &Rc<ShardContext>,
    command: RemotingCommand,
    origin: Origin,
) -> Option<Response> {
    // Type-erased: resending runs tasks on shards, possibly this one, whose
    // executor runs this function; async recursion needs a boxed future.
    let resend: LocalBoxed<'_, Outcome<RemotingCommand>> =
        Box::pin(resend(shard, &command, origin));
    let response = match resend.await {
        Ok(response) | Err(response) => response,
    };
    Some(response.into())
}

async fn resend(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome<RemotingCommand> {
    let header: ConsumerSendMsgBackRequestHeader = decode_header(command)?;
    let group = find_group(shard, command, &header.group).await?;
    if shard.config.broker_permission & PERM_WRITE == 0 {
        let remark = format!(
            "the broker[{}] sending message is forbidden",
            shard.config.broker_name
        );
        return Err(error_response(command, ResponseCode::NO_PERMISSION, remark));
    }
    if group.retry_queue_nums == 0 {
        return Ok(ok_response(command));
    }
    let record = shard
        .store
        .record_at(header.offset)
        .await
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))?;
    let Some(record) = record else {
        let remark = format!("look message by offset failed, {}", header.offset);
        return Err(error_response(command, ResponseCode::SYSTEM_ERROR, remark));
    };
    let view = RecordView::parse(&record)
        .map_err(|err| error_response(command, ResponseCode::SYSTEM_ERROR, err.to_string()))?;
    let send_header = resend_header(&header, &group, &view);
    let queues = if send_header
        .topic
        .starts_with(crate::topic_config::RETRY_PREFIX)
    {
        group.retry_queue_nums
    } else {
        1
    };
    ensure_topic(shard, command, &send_header.topic, queues).await?;
    let mut send = command.clone();
    send.code = RequestCode::SEND_MESSAGE_V2.0;
    send.ext_fields = Default::default();
    send_header.encode_as(&mut send.ext_fields, SendHeaderVersion::V2);
    send.body = Bytes::copy_from_slice(view.body());
    let answer = super::send::route(shard, send, origin).await;
    let (code, remark) = match answer {
        Some(answer) => (answer.command.code, answer.command.remark),
        None => (
            ResponseCode::SYSTEM_ERROR.0,
            Some("send path gave no answer".into()),
        ),
    };
    Ok(command.response_to(code, remark))
}

/// Creates a missing `%RETRY%<group>` (with the group's `retryQueueNums`) or
/// `%DLQ%<group>` (1 queue), perm 6, through shard 0's topic admin, which
/// publishes and registers it whatever `autoCreateTopicEnable` says. An
/// existing topic is left as it is.
async fn ensure_topic(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    topic: &str,
    queues: u32,
) -> Outcome<()> {
    if shard.topics.borrow().get(topic).is_some() {
        return Ok(());
    }
    let queues = queues
        .clamp(1, crate::topic_config::QUEUE_NUMS_MAX)
        .to_string();
    let create = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC.0)
        .with_ext_field("topic", topic)
        .with_ext_field("defaultTopic", "TBW102")
        .with_ext_field("readQueueNums", queues.as_str())
        .with_ext_field("writeQueueNums", queues.as_str())
        .with_ext_field("perm", "6")
        .with_ext_field("topicFilterType", "SINGLE_TAG")
        .with_ext_field("topicSysFlag", "0")
        .with_ext_field("order", "false");
    let task = Task::Control {
        command: create,
        origin: Origin {
            channel: crate::client_manager::ChannelKey {
                shard: shard.id.0,
                connection: u64::MAX,
            },
            peer: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        },
    };
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    match shard.run_on(ShardId(0), task, timeout).await {
        Ok(crate::router::Reply::Response(Some(answer)))
            if answer.command.code == ResponseCode::SUCCESS.0 =>
        {
            Ok(())
        }
        other => {
            let remark = format!("creating {topic} failed: {other:?}");
            Err(error_response(command, ResponseCode::SYSTEM_ERROR, remark))
        }
    }
}

/// The group's config, auto-creating it through shard 0 when allowed.
async fn find_group(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    group: &str,
) -> Outcome<SubscriptionGroupConfig> {
    if let Some(found) = shard.groups.borrow().get(group) {
        return Ok(found.clone());
    }
    let task = Task::EnsureGroup {
        group: group.to_string(),
    };
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    if let Err(err) = shard.run_on(ShardId(0), task, timeout).await {
        return Err(error_response(
            command,
            ResponseCode::SYSTEM_ERROR,
            err.to_string(),
        ));
    }
    if let Some(found) = shard.groups.borrow().get(group) {
        return Ok(found.clone());
    }
    let remark = format!("subscription group not exist, {group}");
    Err(error_response(
        command,
        ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
        remark,
    ))
}

/// The send that re-stores `view`: to the retry topic with a delay, or to
/// the DLQ once the maximum is reached (§3.11).
fn resend_header(
    header: &ConsumerSendMsgBackRequestHeader,
    group: &SubscriptionGroupConfig,
    view: &RecordView<'_>,
) -> SendMessageRequestHeader {
    let max = header
        .max_reconsume_times
        .unwrap_or(i32::try_from(group.retry_max_times).unwrap_or(i32::MAX));
    let reconsume_times = view.reconsume_times();
    let to_dlq = reconsume_times >= max || header.delay_level < 0;
    let raw = std::str::from_utf8(view.properties_raw()).unwrap_or("");
    let mut props = properties_without(raw, &[PROPERTY_DELAY_TIME_LEVEL]);
    if find_property(raw.as_bytes(), PROPERTY_RETRY_TOPIC).is_none() {
        let origin_topic = header.origin_topic.as_deref().unwrap_or(view.topic());
        push_property(&mut props, PROPERTY_RETRY_TOPIC, origin_topic);
    }
    if find_property(raw.as_bytes(), PROPERTY_ORIGIN_MESSAGE_ID).is_none() {
        let msg_id = OffsetMsgId::new(view.store_host(), view.physical_offset()).encode();
        push_property(&mut props, PROPERTY_ORIGIN_MESSAGE_ID, msg_id.as_str());
    }
    let topic = if to_dlq {
        dlq_topic(&header.group)
    } else {
        let level = if header.delay_level > 0 {
            header.delay_level
        } else {
            RETRY_DELAY_LEVEL_BASE.saturating_add(reconsume_times.max(0))
        };
        push_property(&mut props, PROPERTY_DELAY_TIME_LEVEL, &level.to_string());
        retry_topic(&header.group)
    };
    SendMessageRequestHeader {
        producer_group: header.group.clone(),
        topic,
        default_topic: thrust_core::message::topic::AUTO_CREATE_TOPIC_KEY_TOPIC.to_string(),
        default_topic_queue_nums: 1,
        // DLQ: queue 0 (Apache); retry: any write queue of the retry topic.
        queue_id: if to_dlq { 0 } else { -1 },
        sys_flag: view.sys_flag(),
        born_timestamp: view.born_timestamp(),
        flag: view.flag(),
        properties: Some(props),
        reconsume_times: Some(reconsume_times.saturating_add(1)),
        max_reconsume_times: Some(max),
        ..SendMessageRequestHeader::default()
    }
}

/// §3.1 step 5: a send to `%RETRY%<group>` whose reconsumeTimes is above
/// the maximum (the header's, else the group's `retryMaxTimes`) goes to
/// `%DLQ%<group>` queue 0 instead, with `DELAY=-1`. Rewrites `header` and
/// returns the queue to append to.
///
/// # Errors
/// The DLQ topic could not be created (the answer to send back).
pub async fn redirect_exhausted_retry(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    header: &mut SendMessageRequestHeader,
    queue_id: u32,
) -> Outcome<u32> {
    let Some(group) = header.topic.strip_prefix(crate::topic_config::RETRY_PREFIX) else {
        return Ok(queue_id);
    };
    let props = header.properties.clone().unwrap_or_default();
    let from_props = |name: &str| -> Option<i32> {
        find_property(props.as_bytes(), name).and_then(|value| value.parse().ok())
    };
    let max = header
        .max_reconsume_times
        .or_else(|| from_props(PROPERTY_MAX_RECONSUME_TIMES))
        .or_else(|| {
            let groups = shard.groups.borrow();
            let times = groups.get(group)?.retry_max_times;
            i32::try_from(times).ok()
        })
        .unwrap_or(RETRY_MAX_TIMES_DEFAULT);
    let reconsume_times = header
        .reconsume_times
        .or_else(|| from_props(PROPERTY_RECONSUME_TIME))
        .unwrap_or(0);
    if reconsume_times <= max {
        return Ok(queue_id);
    }
    let dlq = dlq_topic(group);
    ensure_topic(shard, command, &dlq, 1).await?;
    let mut props = properties_without(&props, &[PROPERTY_DELAY_TIME_LEVEL]);
    push_property(&mut props, PROPERTY_DELAY_TIME_LEVEL, "-1");
    header.properties = Some(props);
    header.topic = dlq;
    header.queue_id = 0;
    Ok(0)
}

/// Apache's `retryMaxTimes` default, used when the group is unknown.
pub const RETRY_MAX_TIMES_DEFAULT: i32 = 16;

#[cfg(test)]
mod tests {
    use super::*;
    use thrust_core::message::record::{encode_record, RecordInput};

    fn stored(reconsume_times: i32, props: &[u8]) -> Vec<u8> {
        let host = std::net::SocketAddr::from(([127, 0, 0, 1], 10911));
        let input = RecordInput {
            topic: "Orders",
            queue_id: 0,
            flag: 7,
            sys_flag: 0,
            born_timestamp: 11,
            born_host: host,
            store_timestamp: 12,
            store_host: host,
            reconsume_times,
            prepared_transaction_offset: 0,
            body: b"body",
            properties: props,
            queue_offset: 0,
            physical_offset: 4096,
        };
        let mut out = Vec::new();
        encode_record(&input, &mut out).unwrap();
        out
    }

    fn request(delay_level: i32, max: Option<i32>) -> ConsumerSendMsgBackRequestHeader {
        ConsumerSendMsgBackRequestHeader {
            offset: 4096,
            group: "g".into(),
            delay_level,
            origin_msg_id: None,
            origin_topic: None,
            unit_mode: false,
            max_reconsume_times: max,
        }
    }

    #[test]
    fn send_back_below_the_maximum_goes_to_retry_with_level_three_plus_count() {
        let record = stored(2, b"TAGS\x01t\x02");
        let view = RecordView::parse(&record).unwrap();
        let group = SubscriptionGroupConfig::new("g");
        let header = resend_header(&request(0, None), &group, &view);
        assert_eq!((header.topic.as_str(), header.queue_id), ("%RETRY%g", -1));
        assert_eq!(header.reconsume_times, Some(3));
        assert_eq!(header.max_reconsume_times, Some(16));
        let props = header.properties.unwrap();
        assert_eq!(find_property(props.as_bytes(), "DELAY"), Some("5"));
        assert_eq!(
            find_property(props.as_bytes(), "RETRY_TOPIC"),
            Some("Orders")
        );
        let origin = OffsetMsgId::new(view.store_host(), 4096).encode();
        assert_eq!(
            find_property(props.as_bytes(), "ORIGIN_MESSAGE_ID"),
            Some(origin.as_str())
        );
        assert_eq!((header.flag, header.born_timestamp), (7, 11));
    }

    #[test]
    fn send_back_at_the_maximum_or_negative_level_goes_to_the_dlq_undelayed() {
        let record = stored(2, b"DELAY\x014\x02RETRY_TOPIC\x01First\x02");
        let view = RecordView::parse(&record).unwrap();
        let group = SubscriptionGroupConfig::new("g");
        for (level, max) in [(0, Some(2)), (-1, None)] {
            let header = resend_header(&request(level, max), &group, &view);
            assert_eq!((header.topic.as_str(), header.queue_id), ("%DLQ%g", 0));
            let props = header.properties.unwrap();
            assert_eq!(find_property(props.as_bytes(), "DELAY"), None);
            assert_eq!(
                find_property(props.as_bytes(), "RETRY_TOPIC"),
                Some("First")
            );
        }
    }
}
