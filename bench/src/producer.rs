//! The producer side: senders that send SEND_MESSAGE_V2 (or
//! SEND_BATCH_MESSAGE) round-robin over the topic's queues (REMOTING.md §3.1).
//!
//! A *sender* is one loop with at most one send outstanding. Modes:
//! - `sync`: one sender per producer (`--producers` sends outstanding);
//! - `async`: `--inflight` senders per producer, so each producer keeps an
//!   in-flight window of that many sends over its connection;
//! - `oneway`: one sender per producer, sends without waiting for an answer
//!   (flag ONEWAY); it slows down only when the connection's write queue
//!   passes [`ONEWAY_QUEUED_BYTES_MAX`]. Its "latency" is the local enqueue
//!   time and means little.
//!
//! With `--rate`, senders follow the open-loop [`Schedule`] and latency is
//! counted from the intended send time. Without it they send as fast as
//! answers come back (closed loop, "max rate").
//!
//! Payloads and request headers are made before timing starts. Each queue
//! gets a [`SendTemplate`]: its header encoded once by core, filled in per
//! message with the opaque, born timestamp, `KEYS` number and a fresh
//! UNIQ_KEY (the Java client sets one on every message), so the bytes on the
//! wire are what encoding the full command would give. Sends go over
//! [`SendClient`] connections, which write those frames directly and read
//! back only each response's code (see [`crate::send_connection`]). The body
//! is the shared payload, except with `--stamp` (e2e), where the intended
//! send time goes in a 16-byte stamp written ahead of the rest of it.

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use thrust_core::code::RequestCode;
use thrust_core::ext_fields::ExtFields;
use thrust_core::header::SendMessageRequestHeader;
use thrust_core::message::batch::{encode_batch, BatchEntry};
use thrust_core::message::msg_id::UniqKeyGenerator;
use thrust_net::{NetError, FRAME_BYTES_MAX};

use crate::error::BenchError;
use crate::route::{Targets, AUTO_CREATE_QUEUE_NUMS};
use crate::runner::RunClock;
use crate::send_client::SendClient;
use crate::send_template::{
    properties, send_command, SendTemplate, BORN_MARKER, KEY_MARKER, OPAQUE_MARKER, UNIQ_MARKER,
};
use crate::sender::run_sender;
use crate::stats::{Stats, ERROR_BACKPRESSURE, ERROR_CONNECTION, ERROR_TIMEOUT};

/// Marks a body whose bytes 8..16 hold its intended send time (µs since the
/// epoch, big-endian); the consumer then measures end-to-end latency in µs
/// instead of from the ms born timestamp.
pub const STAMP_MAGIC: &[u8; 8] = b"THRBENCH";
/// Bytes of a stamp: magic and a big-endian u64.
pub const STAMP_SIZE_BYTES: usize = 16;

/// How sends are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Sync,
    Async,
    Oneway,
}

/// Everything a producer worker needs; sent to each worker thread.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub targets: Targets,
    pub topic: String,
    pub group: String,
    pub mode: Mode,
    pub producers: usize,
    pub inflight: usize,
    /// TCP connections per broker, over all threads (at least one each).
    pub connections: usize,
    pub threads: usize,
    /// Body of every message (or of every batch entry).
    pub payload: Bytes,
    /// Messages per send (1 = SEND_MESSAGE_V2, more = SEND_BATCH_MESSAGE).
    pub batch: usize,
    pub keys: bool,
    pub tags: Option<String>,
    /// Total target rate, messages per second (None: closed loop).
    pub rate_per_s: Option<f64>,
    /// Total messages to send (None: until the deadline).
    pub count: Option<u64>,
    pub stamp: bool,
    pub timeout: Duration,
    /// Per queue (index as in `targets.queues`): its prepared send header.
    /// Filled by [`ProducerConfig::prepare`].
    pub templates: Vec<SendTemplate>,
}

impl ProducerConfig {
    /// Senders over all threads.
    pub fn senders(&self) -> usize {
        match self.mode {
            Mode::Async => self.producers * self.inflight.max(1),
            Mode::Sync | Mode::Oneway => self.producers,
        }
        .max(1)
    }

    /// Sends sender `sender` makes when a count is set: its share of the
    /// messages, rounded up to whole batches.
    pub fn sends_of(&self, sender: usize) -> Option<u64> {
        let count = self.count?;
        let senders = self.senders() as u64;
        let sender = sender as u64;
        let share = count / senders + u64::from(sender < count % senders);
        Some(share.div_ceil(self.batch.max(1) as u64))
    }

    /// Prepares the send header of every queue.
    ///
    /// # Errors
    /// [`BenchError::Options`] when a send's body would not fit in a frame,
    /// or an option holds the text of a template marker (see
    /// [`crate::send_template`]).
    pub fn prepare(mut self) -> Result<ProducerConfig, BenchError> {
        let body_bytes = if self.batch > 1 {
            batch_body(&self, 0).len()
        } else {
            self.payload.len().max(STAMP_SIZE_BYTES)
        };
        if body_bytes > FRAME_BYTES_MAX {
            return Err(BenchError::Options(format!(
                "a send body of {body_bytes} bytes exceeds the frame limit of {FRAME_BYTES_MAX}"
            )));
        }
        let code = if self.batch > 1 {
            RequestCode::SEND_BATCH_MESSAGE.0
        } else {
            RequestCode::SEND_MESSAGE_V2.0
        };
        let marked_properties = (self.batch <= 1).then(|| {
            let key = self.keys.then_some(KEY_MARKER);
            properties(&fixed_properties(&self), key, UNIQ_MARKER)
        });
        let oneway = self.mode == Mode::Oneway;
        let mut templates = Vec::with_capacity(self.targets.queues.len());
        for queue in &self.targets.queues {
            let fields = header_fields(&self, queue.queue_id, &queue.broker_name);
            let properties = marked_properties.as_deref();
            let marked = send_command(
                code,
                &fields,
                oneway,
                OPAQUE_MARKER,
                BORN_MARKER,
                properties,
            );
            let template = SendTemplate::new(&marked)
                .map_err(|err| BenchError::Options(format!("cannot prepare sends: {err}")))?;
            templates.push(template);
        }
        self.templates = templates;
        Ok(self)
    }
}

/// What the senders of one worker share.
pub(crate) struct Shared {
    pub config: ProducerConfig,
    pub clock: RunClock,
    /// Per queue: index of its broker in `clients`.
    pub broker_of_queue: Vec<usize>,
    /// Per broker: this worker's connections to it.
    pub clients: Vec<Vec<SendClient>>,
    /// The prepared batch body (when `batch > 1`).
    pub batch_body: Bytes,
    /// The payload after the stamp (with `--stamp`).
    pub stamped_rest: Bytes,
    pub stats: Rc<RefCell<Stats>>,
}

/// Runs the senders of worker `thread` until each is done.
pub async fn run(
    config: ProducerConfig,
    clock: RunClock,
    thread: usize,
    stats: Rc<RefCell<Stats>>,
) {
    assert_eq!(
        config.templates.len(),
        config.targets.queues.len(),
        "producer config not prepared"
    );
    let threads = config.threads.max(1);
    let brokers = config.targets.broker_addrs();
    let local_connections = connections_of_thread(config.connections, threads, thread);
    let clients: Vec<Vec<SendClient>> = brokers
        .iter()
        .map(|&addr| {
            (0..local_connections)
                .map(|_| SendClient::new(addr, config.timeout))
                .collect()
        })
        .collect();
    let broker_of_queue = config
        .targets
        .queues
        .iter()
        .map(|q| brokers.iter().position(|&a| a == q.addr).unwrap_or(0))
        .collect();
    let batch_body = batch_body(&config, thread);
    let stamped_rest = config
        .payload
        .slice(STAMP_SIZE_BYTES.min(config.payload.len())..);
    let senders = config.senders();
    let shared = Rc::new(Shared {
        config,
        clock,
        broker_of_queue,
        clients,
        batch_body,
        stamped_rest,
        stats,
    });
    let tasks: Vec<_> = (thread..senders)
        .step_by(threads)
        .map(|sender| glommio::spawn_local(run_sender(shared.clone(), sender)))
        .collect();
    for task in tasks {
        task.await;
    }
    for client in shared.clients.iter().flatten() {
        client.shutdown().await;
    }
}

/// Connections worker `thread` opens to each broker: connection `c` of
/// `connections` belongs to thread `c % threads`, and each has at least one.
pub fn connections_of_thread(connections: usize, threads: usize, thread: usize) -> usize {
    let connections = connections.max(threads);
    connections / threads + usize::from(thread < connections % threads)
}

/// The extFields every send to `queue_id` carries (all but `g` and `i`).
fn header_fields(config: &ProducerConfig, queue_id: i32, broker: &str) -> ExtFields {
    let header = SendMessageRequestHeader {
        producer_group: config.group.clone(),
        topic: config.topic.clone(),
        default_topic: config.targets.default_topic.clone(),
        default_topic_queue_nums: AUTO_CREATE_QUEUE_NUMS,
        queue_id,
        sys_flag: 0,
        born_timestamp: 0,
        flag: 0,
        properties: None,
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(config.batch > 1),
        broker_name: Some(broker.to_owned()),
    };
    let mut fields = ExtFields::new();
    header.to_v2(&mut fields);
    fields
}

/// The fixed part of every message's properties.
fn fixed_properties(config: &ProducerConfig) -> String {
    let mut text = String::from("WAIT\u{1}true\u{2}");
    if let Some(tags) = &config.tags {
        text.push_str("TAGS\u{1}");
        text.push_str(tags);
        text.push('\u{2}');
    }
    text
}

/// The UNIQ_KEY generator of a sender (or of a worker, for batch bodies).
pub(crate) fn uniq_generator(thread: usize) -> UniqKeyGenerator {
    let salt = i32::try_from(thread).unwrap_or(0);
    UniqKeyGenerator::new(IpAddr::V4(Ipv4Addr::LOCALHOST), std::process::id(), salt)
}

/// A batch body of `batch` entries, built once (entries carry fixed
/// properties and UNIQ_KEYs made now, so they repeat from batch to batch).
fn batch_body(config: &ProducerConfig, thread: usize) -> Bytes {
    if config.batch <= 1 {
        return Bytes::new();
    }
    let mut generator = uniq_generator(thread);
    let now_ms = i64::try_from(crate::runner::unix_us_now() / 1_000).unwrap_or(0);
    let fixed = fixed_properties(config);
    let properties: Vec<String> = (0..config.batch)
        .map(|_| properties(&fixed, None, generator.next(now_ms).as_str()))
        .collect();
    let entries: Vec<BatchEntry> = properties
        .iter()
        .map(|p| BatchEntry {
            flag: 0,
            body: &config.payload,
            properties: p.as_bytes(),
        })
        .collect();
    let mut out = BytesMut::new();
    if let Err(err) = encode_batch(&entries, &mut out) {
        log::error!("cannot encode batch: {err}");
    }
    out.freeze()
}

/// The stamp written ahead of a body: [`STAMP_MAGIC`] and
/// `intended_unix_us`, big-endian.
pub fn stamp(intended_unix_us: u64) -> [u8; STAMP_SIZE_BYTES] {
    let mut stamp = [0u8; STAMP_SIZE_BYTES];
    let (magic, time) = stamp.split_at_mut(STAMP_MAGIC.len());
    magic.copy_from_slice(STAMP_MAGIC);
    time.copy_from_slice(&intended_unix_us.to_be_bytes());
    stamp
}

/// The time in a body that starts with a [`stamp`], µs since the epoch.
pub fn stamp_of(body: &[u8]) -> Option<u64> {
    let magic = body.get(..STAMP_MAGIC.len())?;
    if magic != STAMP_MAGIC {
        return None;
    }
    let bytes: [u8; 8] = body.get(8..STAMP_SIZE_BYTES)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The pseudo response code of a network error.
pub fn error_code(err: &NetError) -> i32 {
    match err {
        NetError::Timeout { .. } | NetError::ConnectTimeout { .. } => ERROR_TIMEOUT,
        NetError::WriteQueueFull { .. } | NetError::TooManyPending { .. } => ERROR_BACKPRESSURE,
        _ => ERROR_CONNECTION,
    }
}

/// The address list, for logs.
pub fn describe(targets: &Targets) -> String {
    let addrs: Vec<String> = targets
        .broker_addrs()
        .iter()
        .map(SocketAddr::to_string)
        .collect();
    format!("{} queues on {}", targets.queues.len(), addrs.join(", "))
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;

    /// The body a stamped send puts on the wire: the stamp, then the
    /// payload after it (a payload shorter than the stamp grows to it).
    fn stamped(payload: &[u8], intended_unix_us: u64) -> Bytes {
        let mut body = BytesMut::from(&stamp(intended_unix_us)[..]);
        body.put_slice(payload.get(STAMP_SIZE_BYTES..).unwrap_or_default());
        body.freeze()
    }

    #[test]
    fn stamp_round_trips_and_keeps_the_payload_length() {
        let payload = vec![b'x'; 100];
        let body = stamped(&payload, 1_700_000_000_123_456);
        assert_eq!(body.len(), 100);
        assert_eq!(stamp_of(&body), Some(1_700_000_000_123_456));
        assert_eq!(&body[16..], &payload[16..]);
        assert_eq!(stamp_of(&payload), None);
        assert_eq!(stamp_of(b"THRBENCH"), None);
        assert_eq!(stamped(b"short", 7).len(), STAMP_SIZE_BYTES);
    }

    #[test]
    fn connections_spread_over_threads_with_at_least_one_each() {
        assert_eq!(connections_of_thread(1, 2, 0), 1);
        assert_eq!(connections_of_thread(1, 2, 1), 1);
        assert_eq!(connections_of_thread(5, 2, 0), 3);
        assert_eq!(connections_of_thread(5, 2, 1), 2);
    }
}
