//! QUERY_MESSAGE (12): the messages indexed under `topic#key` stored within
//! a time range (REMOTING.md §3.10).
//!
//! Every shard keeps its own key index over its own commit log, so the
//! shard that received the request asks all shards at once (a
//! [`Task::QueryKeys`] each, run concurrently), merges their verified
//! records newest first and answers with them as the body, sent from the
//! stores' buffers without a copy. Like Apache's broker: a unique-key query
//! (`_UNIQUE_KEY_QUERY=true`) asks for `defaultQueryMaxNum` messages
//! whatever `maxNum` says, every query is capped at `maxMsgsNumBatch`, and
//! no match answers QUERY_NOT_FOUND (22). The clients filter the answer by
//! exact key themselves; we only ever return records whose key matched.

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use thrust_core::code::ResponseCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::QueryMessageRequestHeader;
use thrust_core::message::record::RecordView;
use thrust_net::Response;
use thrust_storage::KeyQuery;

use super::{decode_header, error_response, ok_response};
use crate::ownership::ShardId;
use crate::router::{Reply, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};

/// One shard's part of a query (travels between shards).
#[derive(Debug, Clone)]
pub struct KeyLookup {
    pub topic: String,
    pub key: String,
    pub unique_key: bool,
    pub begin_ms: i64,
    pub end_ms: i64,
    pub max_count: usize,
}

/// One shard's answer: its matching records, newest first, and the newest
/// record its index holds.
#[derive(Debug, Default)]
pub struct ShardHits {
    pub records: Vec<Bytes>,
    pub index_last_update_ms: i64,
    pub index_last_update_physical_offset: i64,
}

/// Answers QUERY_MESSAGE received on this shard.
pub async fn route(shard: &Rc<ShardContext>, command: RemotingCommand) -> Option<Response> {
    let header: QueryMessageRequestHeader = match decode_header(&command) {
        Ok(header) => header,
        Err(response) => return Some(response.into()),
    };
    let unique_key = header.unique_key_query == Some(true);
    let requested = if unique_key {
        i64::from(shard.config.default_query_max_num)
    } else {
        i64::from(header.max_num)
    };
    let max_count = requested.clamp(0, i64::from(shard.config.max_msgs_num_batch));
    let lookup = KeyLookup {
        topic: header.topic,
        key: header.key,
        unique_key,
        begin_ms: header.begin_timestamp,
        end_ms: header.end_timestamp,
        max_count: usize::try_from(max_count).unwrap_or(0),
    };
    let mut calls = Vec::with_capacity(shard.shards());
    for to in 0..shard.shards() {
        let shard = shard.clone();
        let lookup = lookup.clone();
        let to = ShardId(u16::try_from(to).unwrap_or(u16::MAX));
        calls.push(glommio::spawn_local(async move {
            let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
            let reply = shard.run_on(to, Task::QueryKeys(lookup), timeout).await;
            (to, reply)
        }));
    }
    let mut found: Vec<(i64, i64, Bytes)> = Vec::new();
    let mut last_ms = 0;
    let mut last_offset = 0;
    for call in calls {
        let (to, reply) = call.await;
        let hits = match reply {
            Ok(Reply::Hits(Ok(hits))) => hits,
            Ok(Reply::Hits(Err(reason))) => return Some(failed(&command, to, &reason).into()),
            Ok(_) => return Some(failed(&command, to, "unexpected shard reply").into()),
            Err(err) => return Some(failed(&command, to, &err.to_string()).into()),
        };
        if hits.index_last_update_ms > last_ms {
            last_ms = hits.index_last_update_ms;
            last_offset = hits.index_last_update_physical_offset;
        }
        for record in hits.records {
            let Ok(view) = RecordView::parse(&record) else {
                continue;
            };
            let key = (view.store_timestamp(), view.physical_offset());
            found.push((key.0, key.1, record));
        }
    }
    found.sort_unstable_by_key(|hit| std::cmp::Reverse((hit.0, hit.1)));
    found.truncate(lookup.max_count);
    if found.is_empty() {
        let remark = "can not find message, maybe time range not correct".to_string();
        let response = error_response(&command, ResponseCode::QUERY_NOT_FOUND, remark)
            .with_ext_field("indexLastUpdateTimestamp", last_ms.to_string())
            .with_ext_field("indexLastUpdatePhyoffset", last_offset.to_string());
        return Some(response.into());
    }
    let response = ok_response(&command)
        .with_ext_field("indexLastUpdateTimestamp", last_ms.to_string())
        .with_ext_field("indexLastUpdatePhyoffset", last_offset.to_string());
    let records = found.into_iter().map(|(_, _, record)| record).collect();
    Some(Response::with_chunks(response, records))
}

/// Runs one shard's part on that shard.
pub async fn execute(shard: &Rc<ShardContext>, lookup: &KeyLookup) -> Result<ShardHits, String> {
    let query = KeyQuery {
        topic: &lookup.topic,
        key: &lookup.key,
        unique_key: lookup.unique_key,
        begin_ms: lookup.begin_ms,
        end_ms: lookup.end_ms,
        max_count: lookup.max_count,
    };
    let result = shard
        .store
        .query_keys(&query)
        .await
        .map_err(|err| format!("shard {}: {err}", shard.id.0))?;
    Ok(ShardHits {
        records: result.records,
        index_last_update_ms: result.index_last_update_ms,
        index_last_update_physical_offset: result.index_last_update_physical_offset,
    })
}

fn failed(command: &RemotingCommand, shard: ShardId, reason: &str) -> RemotingCommand {
    let remark = format!("query message on shard {}: {reason}", shard.0);
    error_response(command, ResponseCode::SYSTEM_ERROR, remark)
}
