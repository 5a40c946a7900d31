//! Admin answers gathered from every shard, each answering for the queues
//! (and consumer offsets) it owns: GET_TOPIC_STATS_INFO (202),
//! GET_CONSUME_STATS (208), GET_ALL_CONSUMER_OFFSET (43),
//! QUERY_TOPICS_BY_CONSUMER (343), QUERY_TOPIC_CONSUME_BY_WHO (300), and
//! the offset cleanup of DELETE_SUBSCRIPTIONGROUP (207, `cleanOffset`).
//!
//! The receiving shard sends the request, marked with [`PART_FIELD`], to
//! every shard (itself directly) and merges the parts. A part that fails
//! fails the whole answer: a partial table would read as lost messages.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thrust_core::body::{
    ConsumeStats, ConsumerOffsetSerializeWrapper, JsonBody, MessageQueue, OffsetWrapper, TopicList,
    TopicOffset, TopicStatsTable,
};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::error::DecodeError;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader,
    GetTopicStatsInfoRequestHeader, QueryTopicConsumeByWhoRequestHeader,
    QueryTopicsByConsumerRequestHeader,
};
use thrust_core::message::decode_records;

use super::{all_shards, Outcome, PART_FIELD};
use crate::processor::{decode_header, error_response, ok_response};
use crate::router::{Origin, Reply, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};

/// `{"groupList":[..]}`: the QUERY_TOPIC_CONSUME_BY_WHO answer (Java
/// `GroupList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupList {
    pub group_list: BTreeSet<String>,
}

impl JsonBody for GroupList {
    const WHAT: &'static str = "GroupList";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        serde_json::from_slice(bytes).map_err(|err| DecodeError::json(Self::WHAT, &err))
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{\"groupList\":[]}".to_vec())
    }
}

/// Answers a gathered request received on this shard.
pub async fn gather(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome {
    match RequestCode(command.code) {
        RequestCode::GET_TOPIC_STATS_INFO => topic_stats(shard, command, origin).await,
        RequestCode::GET_CONSUME_STATS => consume_stats(shard, command, origin).await,
        RequestCode::GET_ALL_CONSUMER_OFFSET => all_offsets(shard, command, origin).await,
        RequestCode::QUERY_TOPICS_BY_CONSUMER => {
            let topics = topics_by_consumer(shard, command, origin).await?;
            Ok(ok_response(command).with_body(topics.encode().into()))
        }
        RequestCode::QUERY_TOPIC_CONSUME_BY_WHO => consume_by_who(shard, command, origin).await,
        _ => Err(not_supported(command)),
    }
}

/// Runs this shard's part of a gathered request.
pub async fn local_part(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    match RequestCode(command.code) {
        RequestCode::GET_TOPIC_STATS_INFO => topic_stats_part(shard, command).await,
        RequestCode::GET_CONSUME_STATS => consume_stats_part(shard, command).await,
        RequestCode::GET_ALL_CONSUMER_OFFSET => Ok(offsets_part(shard, command)),
        RequestCode::QUERY_TOPICS_BY_CONSUMER => {
            let header: QueryTopicsByConsumerRequestHeader = decode_header(command)?;
            let topics = shard.offsets.borrow().topics_of_group(&header.group);
            let body = TopicList {
                broker_addr: None,
                topic_list: topics.into_iter().collect(),
            };
            Ok(ok_response(command).with_body(body.encode().into()))
        }
        RequestCode::QUERY_TOPIC_CONSUME_BY_WHO => {
            let header: QueryTopicConsumeByWhoRequestHeader = decode_header(command)?;
            let groups = shard.offsets.borrow().groups_of_topic(&header.topic);
            let body = GroupList {
                group_list: groups.into_iter().collect(),
            };
            Ok(ok_response(command).with_body(body.encode().into()))
        }
        RequestCode::DELETE_SUBSCRIPTIONGROUP => {
            let header: DeleteSubscriptionGroupRequestHeader = decode_header(command)?;
            shard.offsets.borrow_mut().remove_group(&header.group_name);
            Ok(ok_response(command))
        }
        _ => Err(not_supported(command)),
    }
}

fn not_supported(command: &RemotingCommand) -> RemotingCommand {
    let remark = format!(" request type {} not supported", command.code);
    error_response(command, ResponseCode::REQUEST_CODE_NOT_SUPPORTED, remark)
}

/// Sends `command` as a part to every shard; the successful answers, in
/// shard order, or the first failure.
pub async fn parts(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Result<Vec<RemotingCommand>, RemotingCommand> {
    let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
    let mut answers = Vec::with_capacity(shard.shards());
    for to in all_shards(shard) {
        let part = command.clone().with_ext_field(PART_FIELD, "true");
        let task = Task::Control {
            command: part,
            origin,
        };
        // Boxed: a part runs through `execute`, which can gather again.
        let call = Box::pin(shard.run_on(to, task, timeout));
        let failure = match call.await {
            Ok(Reply::Response(Some(response)))
                if response.command.code == ResponseCode::SUCCESS.0 =>
            {
                answers.push(response.command);
                continue;
            }
            Ok(Reply::Response(Some(response))) => return Err(response.command),
            Ok(_) => "unexpected shard reply".to_string(),
            Err(err) => err.to_string(),
        };
        let remark = format!("shard {}: {failure}", to.0);
        return Err(error_response(command, ResponseCode::SYSTEM_ERROR, remark));
    }
    Ok(answers)
}

fn decode_part<T: JsonBody>(
    command: &RemotingCommand,
    part: &RemotingCommand,
) -> Result<T, RemotingCommand> {
    T::decode(&part.body).map_err(|err| {
        let remark = format!("bad shard part: {err}");
        error_response(command, ResponseCode::SYSTEM_ERROR, remark)
    })
}

fn message_queue(shard: &ShardContext, topic: &str, queue_id: u32) -> MessageQueue {
    let queue_id = i32::try_from(queue_id).unwrap_or(i32::MAX);
    MessageQueue::new(topic, shard.config.broker_name.as_str(), queue_id)
}

/// Store time of the message at `offset` of a queue this shard owns; 0 if
/// it cannot be read (expired, or an I/O error, logged).
async fn store_time_at(shard: &ShardContext, topic: &str, queue_id: u32, offset: i64) -> i64 {
    match shard
        .store
        .read(topic, queue_id, offset, 1, 1, &|_| true)
        .await
    {
        Ok(outcome) => outcome
            .records
            .first()
            .and_then(|record| decode_records(record).next())
            .and_then(Result::ok)
            .map(|view| view.store_timestamp())
            .unwrap_or(0),
        Err(err) => {
            log::warn!("reading {topic}:{queue_id}@{offset} for admin stats: {err}");
            0
        }
    }
}

async fn topic_stats(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome {
    let header: GetTopicStatsInfoRequestHeader = decode_header(command)?;
    if shard.topics.borrow().get(&header.topic).is_none() {
        let remark = format!("topic[{}] not exist", header.topic);
        return Err(error_response(
            command,
            ResponseCode::TOPIC_NOT_EXIST,
            remark,
        ));
    }
    let mut table = TopicStatsTable::default();
    for part in parts(shard, command, origin).await? {
        let part: TopicStatsTable = decode_part(command, &part)?;
        table.offset_table.extend(part.offset_table);
    }
    table.offset_table.sort_by_key(|(queue, _)| queue.queue_id);
    Ok(ok_response(command).with_body(table.encode().into()))
}

async fn topic_stats_part(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    let header: GetTopicStatsInfoRequestHeader = decode_header(command)?;
    let config = shard.topics.borrow().get(&header.topic).cloned();
    let mut table = TopicStatsTable::default();
    // Java lists the write queues.
    let queues = config.map(|c| c.write_queue_nums).unwrap_or(0);
    for queue_id in 0..queues {
        if shard.owner(&header.topic, queue_id) != shard.id {
            continue;
        }
        let (min_offset, max_offset) = shard.store.offsets(&header.topic, queue_id);
        let last_update_timestamp = match max_offset.checked_sub(1) {
            Some(last) if last >= min_offset.max(0) => {
                store_time_at(shard, &header.topic, queue_id, last).await
            }
            _ => 0,
        };
        let offsets = TopicOffset {
            last_update_timestamp,
            max_offset,
            min_offset,
        };
        let queue = message_queue(shard, &header.topic, queue_id);
        table.offset_table.push((queue, offsets));
    }
    Ok(ok_response(command).with_body(table.encode().into()))
}

async fn topics_by_consumer(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Result<TopicList, RemotingCommand> {
    let _: QueryTopicsByConsumerRequestHeader = decode_header(command)?;
    let mut topics = TopicList {
        broker_addr: Some(shard.config.broker_addr()),
        topic_list: BTreeSet::new(),
    };
    for part in parts(shard, command, origin).await? {
        let part: TopicList = decode_part(command, &part)?;
        topics.topic_list.extend(part.topic_list);
    }
    Ok(topics)
}

async fn consume_stats(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome {
    let header: GetConsumeStatsRequestHeader = decode_header(command)?;
    let mut request = command.clone();
    if header.topic.as_deref().unwrap_or("").is_empty() {
        // As Java: every topic the group has offsets for.
        let code = RequestCode::QUERY_TOPICS_BY_CONSUMER.0;
        let query =
            RemotingCommand::request(code).with_ext_field("group", header.consumer_group.as_str());
        let topics = topics_by_consumer(shard, &query, origin)
            .await
            .map_err(|failure| {
                error_response(
                    command,
                    ResponseCode::SYSTEM_ERROR,
                    failure.remark.unwrap_or_default(),
                )
            })?;
        let list: Vec<String> = topics.topic_list.into_iter().collect();
        request = request
            .with_ext_field("topic", "")
            .with_ext_field("topicList", list.join(";"));
    }
    let mut stats = ConsumeStats::default();
    for part in parts(shard, &request, origin).await? {
        let part: ConsumeStats = decode_part(command, &part)?;
        stats.offset_table.extend(part.offset_table);
    }
    stats
        .offset_table
        .sort_by(|(a, _), (b, _)| (&a.topic, a.queue_id).cmp(&(&b.topic, b.queue_id)));
    Ok(ok_response(command).with_body(stats.encode().into()))
}

fn requested_topics(header: &GetConsumeStatsRequestHeader) -> Vec<String> {
    match header.topic.as_deref() {
        Some(topic) if !topic.is_empty() => vec![topic.to_string()],
        _ => header
            .topic_list
            .as_deref()
            .unwrap_or("")
            .split(';')
            .filter(|topic| !topic.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// Whether the group, online with subscriptions, does not subscribe
/// `topic` (Java skips such topics).
fn unsubscribed(shard: &ShardContext, group: &str, topic: &str) -> bool {
    let subscriptions = shard.subscriptions.borrow();
    match subscriptions.groups.get(group) {
        Some(group) => !group.by_topic.is_empty() && !group.by_topic.contains_key(topic),
        None => false,
    }
}

async fn consume_stats_part(shard: &Rc<ShardContext>, command: &RemotingCommand) -> Outcome {
    let header: GetConsumeStatsRequestHeader = decode_header(command)?;
    let group = header.consumer_group.as_str();
    let mut stats = ConsumeStats::default();
    for topic in requested_topics(&header) {
        let config = shard.topics.borrow().get(&topic).cloned();
        let Some(config) = config else {
            continue;
        };
        if unsubscribed(shard, group, &topic) {
            continue;
        }
        for queue_id in 0..config.read_queue_nums {
            if shard.owner(&topic, queue_id) != shard.id {
                continue;
            }
            let (min_offset, max_offset) = shard.store.offsets(&topic, queue_id);
            let committed = shard.offsets.borrow().query(group, &topic, queue_id);
            let consumer_offset = committed.unwrap_or(0).max(0);
            let last_timestamp = match consumer_offset.checked_sub(1) {
                Some(last) if last >= min_offset.max(0) && last < max_offset => {
                    store_time_at(shard, &topic, queue_id, last).await
                }
                _ => 0,
            };
            let offsets = OffsetWrapper {
                broker_offset: max_offset.max(0),
                consumer_offset,
                last_timestamp,
                pull_offset: consumer_offset,
            };
            stats
                .offset_table
                .push((message_queue(shard, &topic, queue_id), offsets));
        }
    }
    Ok(ok_response(command).with_body(stats.encode().into()))
}

async fn all_offsets(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome {
    let mut all = ConsumerOffsetSerializeWrapper::default();
    for part in parts(shard, command, origin).await? {
        let part: ConsumerOffsetSerializeWrapper = decode_part(command, &part)?;
        for (key, queues) in part.offset_table {
            all.offset_table.entry(key).or_default().extend(queues);
        }
    }
    Ok(ok_response(command).with_body(all.encode().into()))
}

fn offsets_part(shard: &ShardContext, command: &RemotingCommand) -> RemotingCommand {
    let offset_table: BTreeMap<String, BTreeMap<i32, i64>> = shard
        .offsets
        .borrow()
        .table()
        .iter()
        .map(|(key, queues)| {
            let queues = queues
                .iter()
                .map(|(queue_id, offset)| (i32::try_from(*queue_id).unwrap_or(i32::MAX), *offset))
                .collect();
            (key.clone(), queues)
        })
        .collect();
    let body = ConsumerOffsetSerializeWrapper {
        data_version: None,
        offset_table,
    };
    ok_response(command).with_body(body.encode().into())
}

async fn consume_by_who(
    shard: &Rc<ShardContext>,
    command: &RemotingCommand,
    origin: Origin,
) -> Outcome {
    let header: QueryTopicConsumeByWhoRequestHeader = decode_header(command)?;
    let mut groups = GroupList::default();
    for part in parts(shard, command, origin).await? {
        let part: GroupList = decode_part(command, &part)?;
        groups.group_list.extend(part.group_list);
    }
    // Online groups subscribing the topic, from the published snapshot.
    let subscriptions = shard.subscriptions.borrow().clone();
    for (name, group) in &subscriptions.groups {
        if group.by_topic.contains_key(&header.topic) {
            groups.group_list.insert(name.clone());
        }
    }
    Ok(ok_response(command).with_body(groups.encode().into()))
}
