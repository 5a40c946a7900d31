//! QUERY_MESSAGE finds messages by key and by unique key across both shards
//! of a broker: 100 000 messages with keys over 8 queues (small commit log
//! segments, so the shards' key indexes seal many segments); every key finds
//! exactly its messages, unique keys find theirs, offset msgIds view the
//! right message and time bounds exclude what lies outside. All of it holds
//! again after a graceful restart, after a crash (SIGKILL; SYNC_FLUSH, so
//! every acknowledged message must be found) and after retention removed
//! the oldest segments (then exactly the retained messages are found).
//!
//! Starts a real thrust-namesrv and a 2-shard thrust-broker on loopback.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::requests::*;
use common::{Client, Cluster, WAIT};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::batch::{encode_batch, BatchEntry};
use thrust_core::message::msg_id::OffsetMsgId;
use thrust_core::message::properties::find_property;
use thrust_core::message::record::{decode_records, RecordView};

const TOPIC: &str = "QueryT";
const QUEUES: i32 = 8;
const MESSAGES: usize = 100_000;
/// Messages sharing one group key `g<n>`: under `maxMsgsNumBatch` (64).
const GROUP: usize = 50;
const BATCH: usize = 100;
const QUERY_NOT_FOUND: i32 = 22;
/// Small segments: the 100 000 messages fill more than ten per shard.
const CONFIG: &str =
    "flushDiskType=SYNC_FLUSH\nmaxMessageSize=65536\nmappedFileSizeCommitLog=1048576";
const PIPELINE: usize = 64;

/// What the test knows of one sent message.
#[derive(Debug, Clone)]
struct Sent {
    queue_id: i32,
    queue_offset: i64,
    uniq_key: String,
    offset_msg_id: String,
}

fn body_of(i: usize) -> Vec<u8> {
    // ~250 bytes: 100 000 of them fill ~16 segments of 1 MiB per shard.
    format!("message {i:06} {}", "x".repeat(230)).into_bytes()
}

fn uniq_key(i: usize) -> String {
    format!("7F00000100002A9F{i:016X}")
}

fn query(topic: &str, key: &str, max: i32, begin: i64, end: i64) -> RemotingCommand {
    RemotingCommand::request(RequestCode::QUERY_MESSAGE.0)
        .with_ext_field("topic", topic)
        .with_ext_field("key", key)
        .with_ext_field("maxNum", max.to_string())
        .with_ext_field("beginTimestamp", begin.to_string())
        .with_ext_field("endTimestamp", end.to_string())
        .with_ext_field("_UNIQUE_KEY_QUERY", "false")
}

fn unique_query(topic: &str, key: &str) -> RemotingCommand {
    query(topic, key, 1, 0, i64::MAX).with_ext_field("_UNIQUE_KEY_QUERY", "true")
}

/// Sends all messages in batches of `BATCH` to queue `batch % QUEUES`.
fn send_all(client: &mut Client) -> Vec<Sent> {
    let mut sent = Vec::with_capacity(MESSAGES);
    for first in (0..MESSAGES).step_by(BATCH) {
        let queue_id = ((first / BATCH) % QUEUES as usize) as i32;
        let bodies: Vec<Vec<u8>> = (first..first + BATCH).map(body_of).collect();
        let props: Vec<String> = (first..first + BATCH)
            .map(|i| {
                let keys = format!("k{i} g{}", i / GROUP);
                properties(&[("KEYS", &keys), ("UNIQ_KEY", &uniq_key(i)), ("TAGS", "T")])
            })
            .collect();
        let entries: Vec<BatchEntry> = (0..BATCH)
            .map(|n| BatchEntry {
                flag: 0,
                body: &bodies[n],
                properties: props[n].as_bytes(),
            })
            .collect();
        let mut body = BytesMut::new();
        encode_batch(&entries, &mut body).expect("encode batch");
        let mut request = send(TOPIC, queue_id, &body, "").with_ext_field("m", "true");
        request.code = RequestCode::SEND_BATCH_MESSAGE.0;
        let response = client.call(request);
        assert_eq!(
            response.code, SUCCESS,
            "batch {first}: {:?}",
            response.remark
        );
        let first_offset: i64 = field(&response, "queueOffset");
        let ids: String = field(&response, "msgId");
        let ids: Vec<&str> = ids.split(',').collect();
        assert_eq!(ids.len(), BATCH);
        for (n, id) in ids.iter().enumerate() {
            sent.push(Sent {
                queue_id,
                queue_offset: first_offset + n as i64,
                uniq_key: uniq_key(first + n),
                offset_msg_id: id.to_string(),
            });
        }
    }
    sent
}

/// Message indexes of a response's records (from their bodies), checking
/// each record really carries `key`.
fn indexes(response: &RemotingCommand, key: &str, unique: bool) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    for record in decode_records(&response.body) {
        let record = record.expect("QUERY_MESSAGE body decodes as records");
        assert_eq!(record.topic(), TOPIC);
        let raw = record.properties_raw();
        if unique {
            assert_eq!(find_property(raw, "UNIQ_KEY"), Some(key));
        } else {
            let keys = find_property(raw, "KEYS").unwrap_or_default();
            assert!(keys.split(' ').any(|k| k == key), "{keys:?} lacks {key}");
        }
        let body = std::str::from_utf8(record.body()).expect("utf-8 body");
        let index: usize = body[8..14].parse().expect("index in body");
        assert!(
            found.insert(index),
            "message {index} returned twice for {key}"
        );
    }
    found
}

/// Runs `requests` pipelined `PIPELINE` at a time; responses in order.
fn call_all(client: &mut Client, requests: Vec<RemotingCommand>) -> Vec<RemotingCommand> {
    let mut responses = Vec::with_capacity(requests.len());
    let mut requests = requests.into_iter().peekable();
    while requests.peek().is_some() {
        let opaques: Vec<i32> = requests
            .by_ref()
            .take(PIPELINE)
            .map(|request| client.send(request))
            .collect();
        for opaque in opaques {
            let response = client.response(opaque, WAIT);
            responses.push(response.expect("query answered"));
        }
    }
    responses
}

/// Every group key finds exactly the live messages of its group, every
/// 7th message's own key and every 13th message's unique key find exactly
/// that message (if live), every 97th offset msgId views it.
fn check_all(client: &mut Client, sent: &[Sent], live: &dyn Fn(&Sent) -> bool, phase: &str) {
    let groups = MESSAGES / GROUP;
    let requests = (0..groups)
        .map(|g| query(TOPIC, &format!("g{g}"), 64, 0, i64::MAX))
        .collect();
    for (g, response) in call_all(client, requests).iter().enumerate() {
        let key = format!("g{g}");
        let expected: BTreeSet<usize> = (g * GROUP..(g + 1) * GROUP)
            .filter(|i| live(&sent[*i]))
            .collect();
        if expected.is_empty() {
            assert_eq!(response.code, QUERY_NOT_FOUND, "{phase}: {key}");
            continue;
        }
        assert_eq!(
            response.code, SUCCESS,
            "{phase}: {key}: {:?}",
            response.remark
        );
        assert_eq!(indexes(response, &key, false), expected, "{phase}: {key}");
    }
    let own: Vec<usize> = (0..MESSAGES).step_by(7).collect();
    let requests = own
        .iter()
        .map(|i| query(TOPIC, &format!("k{i}"), 64, 0, i64::MAX))
        .collect();
    for (i, response) in own.iter().zip(call_all(client, requests)) {
        let key = format!("k{i}");
        if !live(&sent[*i]) {
            assert_eq!(response.code, QUERY_NOT_FOUND, "{phase}: {key}");
            continue;
        }
        assert_eq!(
            response.code, SUCCESS,
            "{phase}: {key}: {:?}",
            response.remark
        );
        assert_eq!(
            indexes(&response, &key, false),
            BTreeSet::from([*i]),
            "{phase}"
        );
    }
    let unique: Vec<usize> = (0..MESSAGES).step_by(13).collect();
    let requests = unique
        .iter()
        .map(|i| unique_query(TOPIC, &sent[*i].uniq_key))
        .collect();
    for (i, response) in unique.iter().zip(call_all(client, requests)) {
        let key = &sent[*i].uniq_key;
        if !live(&sent[*i]) {
            assert_eq!(response.code, QUERY_NOT_FOUND, "{phase}: {key}");
            continue;
        }
        assert_eq!(
            response.code, SUCCESS,
            "{phase}: {key}: {:?}",
            response.remark
        );
        assert_eq!(
            indexes(&response, key, true),
            BTreeSet::from([*i]),
            "{phase}"
        );
    }
    for i in (0..MESSAGES).step_by(97).filter(|i| live(&sent[*i])) {
        let id = OffsetMsgId::decode(&sent[i].offset_msg_id).expect("offset msgId");
        let viewed = client.call(
            RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID.0)
                .with_ext_field("offset", id.physical_offset.to_string()),
        );
        assert_eq!(
            viewed.code, SUCCESS,
            "{phase}: view {i}: {:?}",
            viewed.remark
        );
        let record = RecordView::parse(&viewed.body).expect("viewed record");
        assert_eq!(record.body(), &body_of(i)[..], "{phase}: view {i}");
        assert_eq!(record.queue_id(), sent[i].queue_id);
        assert_eq!(record.queue_offset(), sent[i].queue_offset);
    }
    // Keys that are prefixes or extensions of real keys find nothing.
    for key in ["g", "k", "g20000", "k100000", "nosuchkey"] {
        let response = client.call(query(TOPIC, key, 64, 0, i64::MAX));
        assert_eq!(response.code, QUERY_NOT_FOUND, "{phase}: {key}");
    }
}

/// Three bursts of messages under key `tb`, apart in store time: a range
/// covering the middle burst's store times finds exactly that burst.
fn check_time_bounds(client: &mut Client) {
    let mut bursts = Vec::new();
    for burst in 0..3 {
        let mut uniq = BTreeSet::new();
        for n in 0..10 {
            let key = format!("TB{burst}{n:02}");
            let props = properties(&[("KEYS", "tb"), ("UNIQ_KEY", &key)]);
            send_ok(
                client,
                "QueryTime",
                n % 4,
                format!("tb {burst}").as_bytes(),
                &props,
            );
            uniq.insert(key);
        }
        bursts.push(uniq);
        std::thread::sleep(Duration::from_millis(30));
    }
    let all = client.call(query("QueryTime", "tb", 64, 0, i64::MAX));
    assert_eq!(all.code, SUCCESS, "{:?}", all.remark);
    let mut times: BTreeMap<String, i64> = BTreeMap::new();
    for record in decode_records(&all.body) {
        let record = record.expect("record");
        let uniq = find_property(record.properties_raw(), "UNIQ_KEY").expect("uniq");
        times.insert(uniq.to_string(), record.store_timestamp());
    }
    assert_eq!(times.len(), 30);
    let middle: Vec<i64> = bursts[1].iter().map(|k| times[k]).collect();
    let begin = *middle.iter().min().expect("burst");
    let end = *middle.iter().max().expect("burst");
    let outside_overlaps = bursts[0]
        .iter()
        .chain(&bursts[2])
        .any(|k| (begin..=end).contains(&times[k]));
    if outside_overlaps {
        // The clock stood still or stepped back between bursts: the bound
        // cannot be checked this run without asserting on timing.
        eprintln!("store clock did not separate the bursts; time bound check skipped");
        return;
    }
    let ranged = client.call(query("QueryTime", "tb", 64, begin, end));
    assert_eq!(ranged.code, SUCCESS, "{:?}", ranged.remark);
    let found: BTreeSet<String> = decode_records(&ranged.body)
        .map(|record| {
            let record = record.expect("record");
            let uniq = find_property(record.properties_raw(), "UNIQ_KEY").expect("uniq");
            uniq.to_string()
        })
        .collect();
    assert_eq!(found, bursts[1]);
    let before = client.call(query("QueryTime", "tb", 64, 0, begin - 1));
    assert_eq!(before.code, SUCCESS);
    assert_eq!(decode_records(&before.body).count(), 10, "first burst only");
    let limited = client.call(query("QueryTime", "tb", 4, 0, i64::MAX));
    assert_eq!(decode_records(&limited.body).count(), 4, "maxNum honoured");
}

/// Commit log segment files of both shards.
fn segments_left(cluster: &Cluster) -> usize {
    (0..2)
        .map(|shard| {
            let dir = cluster.dir.0.join(format!("store/shard-{shard}/commitlog"));
            std::fs::read_dir(dir)
                .map(|entries| entries.count())
                .unwrap_or(0)
        })
        .sum()
}

fn min_offsets(client: &mut Client) -> Vec<i64> {
    (0..QUEUES)
        .map(|queue_id| {
            let response = client.call(
                RemotingCommand::request(RequestCode::GET_MIN_OFFSET.0)
                    .with_ext_field("topic", TOPIC)
                    .with_ext_field("queueId", queue_id.to_string()),
            );
            assert_eq!(response.code, SUCCESS);
            field(&response, "offset")
        })
        .collect()
}

#[test]
fn keys_find_their_messages_across_restart_crash_and_retention() {
    let mut cluster = Cluster::start("query-keys", CONFIG);
    let mut client = cluster.client();
    assert_eq!(
        client.call(create_topic(TOPIC, QUEUES as u32)).code,
        SUCCESS
    );
    assert_eq!(client.call(create_topic("QueryTime", 4)).code, SUCCESS);
    let sent = send_all(&mut client);
    check_all(&mut client, &sent, &|_| true, "after send");
    check_time_bounds(&mut client);
    drop(client);

    cluster.restart_broker();
    let mut client = cluster.client();
    check_all(&mut client, &sent, &|_| true, "after restart");
    drop(client);

    // Crash: no shutdown flush of the index; recovery rebuilds it.
    cluster.crash_and_restart_broker();
    let mut client = cluster.client();
    check_all(&mut client, &sent, &|_| true, "after crash");
    drop(client);

    // Retention: every segment but the active one has expired.
    let hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    cluster.extra_config = format!(
        "{CONFIG}\nfileReservedTime=0\ndeleteWhen={}",
        hours.join(";")
    );
    cluster.restart_broker();
    // Passes run every 10 s and delete at most 10 segments each: wait until
    // only each shard's active segment is left, so nothing changes while
    // the checks run.
    let deadline = Instant::now() + 2 * WAIT;
    while segments_left(&cluster) > 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(segments_left(&cluster), 2, "retention left old segments");
    let mut client = cluster.client();
    let mins = min_offsets(&mut client);
    assert!(mins.iter().any(|min| *min > 0), "retention removed nothing");
    let live = |s: &Sent| s.queue_offset >= mins[s.queue_id as usize];
    assert!(sent.iter().any(live), "retention kept the active segment");
    check_all(&mut client, &sent, &live, "after retention");
}
