//! Helpers shared by the integration tests, the crash-test child and the
//! storage benchmark: encoding records the way the broker does.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use thrust_core::message::record::{encode_record, encoded_len, RecordInput};

/// Encodes one V1 record for `topic:queue_id` with `body` and, if given, a
/// TAGS property. Queue offset, physical offset and store time are zero:
/// the store patches them.
pub fn encode_test_record(topic: &str, queue_id: i32, body: &[u8], tags: Option<&str>) -> Vec<u8> {
    let properties = match tags {
        Some(tags) => format!("TAGS\u{1}{tags}\u{2}"),
        None => String::new(),
    };
    encode_with_properties(topic, queue_id, body, &properties)
}

/// Encodes one V1 record for `topic:queue_id` with a `KEYS` property (space
/// separated user keys) and an `UNIQ_KEY` property, each if given.
pub fn encode_keyed_record(
    topic: &str,
    queue_id: i32,
    body: &[u8],
    keys: Option<&str>,
    unique_key: Option<&str>,
) -> Vec<u8> {
    let mut properties = String::new();
    if let Some(keys) = keys {
        properties.push_str(&format!("KEYS\u{1}{keys}\u{2}"));
    }
    if let Some(unique_key) = unique_key {
        properties.push_str(&format!("UNIQ_KEY\u{1}{unique_key}\u{2}"));
    }
    encode_with_properties(topic, queue_id, body, &properties)
}

fn encode_with_properties(topic: &str, queue_id: i32, body: &[u8], properties: &str) -> Vec<u8> {
    let host = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 10911);
    let input = RecordInput {
        topic,
        queue_id,
        flag: 0,
        sys_flag: 0,
        born_timestamp: 1,
        born_host: host,
        store_timestamp: 0,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body,
        properties: properties.as_bytes(),
        queue_offset: 0,
        physical_offset: 0,
    };
    let len = match encoded_len(&input) {
        Ok(len) => len,
        Err(error) => panic!("test record does not encode: {error}"),
    };
    let mut out = Vec::with_capacity(len);
    if let Err(error) = encode_record(&input, &mut out) {
        panic!("test record does not encode: {error}");
    }
    out
}

/// Topic the crash test writes.
pub const CRASH_TOPIC: &str = "CrashTopic";
/// Queues the crash test writes.
pub const CRASH_QUEUES: i32 = 4;

/// The body of crash-test record `id` (length varies with the id).
pub fn crash_body(id: u64) -> Vec<u8> {
    let mut body = format!("crash-{id}-").into_bytes();
    let len = 40 + (id % 997) as usize;
    let mut state = id;
    while body.len() < len {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        body.push((state >> 56) as u8);
    }
    body
}

/// The store configuration of the crash test, shared by the child and the
/// test: SYNC_FLUSH, 1 MiB segments (runs roll segments), frequent
/// consume-queue checkpoints.
pub fn crash_config(root: &std::path::Path) -> crate::StoreConfig {
    let mut config = crate::StoreConfig::new(root, crate::ShardId(0));
    config.maped_file_size_commit_log = 1 << 20;
    config.consume_queue_entries_per_file = 1024;
    config.write_chunk_bytes = 64 * 1024;
    config.max_message_size_bytes = 64 * 1024;
    config.flush_disk_type = crate::FlushDiskType::SyncFlush;
    config.flush_interval_consume_queue_ms = 20;
    config
}
