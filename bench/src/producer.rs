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
//! Payloads are made before timing starts. Per message the sender clones a
//! prepared extFields map of its queue and adds the born timestamp and the
//! properties (with a fresh UNIQ_KEY, as the Java client sets one); the body
//! is a shared `Bytes`, except with `--stamp` (e2e), where the intended
//! send time is written into a copy of the first 16 bytes of each body.

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use thrust_core::code::RequestCode;
use thrust_core::ext_fields::ExtFields;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::SendMessageRequestHeader;
use thrust_core::message::batch::{encode_batch, BatchEntry};
use thrust_core::message::msg_id::UniqKeyGenerator;
use thrust_net::{Client, ClientConfig, NetError};

use crate::route::{Targets, AUTO_CREATE_QUEUE_NUMS};
use crate::runner::RunClock;
use crate::schedule::{Schedule, Slot};
use crate::stats::{Stats, ERROR_BACKPRESSURE, ERROR_CONNECTION, ERROR_TIMEOUT};

/// Marks a body whose bytes 8..16 hold its intended send time (µs since the
/// epoch, big-endian); the consumer then measures end-to-end latency in µs
/// instead of from the ms born timestamp.
pub const STAMP_MAGIC: &[u8; 8] = b"THRBENCH";
/// Bytes of a stamp: magic and a big-endian u64.
pub const STAMP_SIZE_BYTES: usize = 16;
/// A oneway sender waits while its connection has more than this queued.
pub const ONEWAY_QUEUED_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Most waits of [`ONEWAY_WAIT`] for the write queue to drain per send.
const ONEWAY_WAITS_MAX: u32 = 100_000;
const ONEWAY_WAIT: Duration = Duration::from_micros(50);
/// Pause after a connection error, so a dead broker is not spun on.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

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
}

/// What the senders of one worker share.
struct Shared {
    config: ProducerConfig,
    clock: RunClock,
    /// Per queue (index as in `targets.queues`): its prepared extFields.
    templates: Vec<ExtFields>,
    /// Per queue: index of its broker in `clients`.
    broker_of_queue: Vec<usize>,
    /// Per broker: this worker's connections to it.
    clients: Vec<Vec<Rc<Client>>>,
    /// The prepared batch body (when `batch > 1`).
    batch_body: Bytes,
    stats: Rc<RefCell<Stats>>,
}

/// Runs the senders of worker `thread` until each is done.
pub async fn run(
    config: ProducerConfig,
    clock: RunClock,
    thread: usize,
    stats: Rc<RefCell<Stats>>,
) {
    let threads = config.threads.max(1);
    let brokers = config.targets.broker_addrs();
    let local_connections = connections_of_thread(config.connections, threads, thread);
    let clients: Vec<Vec<Rc<Client>>> = brokers
        .iter()
        .map(|&addr| {
            (0..local_connections)
                .map(|_| Rc::new(Client::new(addr, client_config())))
                .collect()
        })
        .collect();
    let broker_of_queue = config
        .targets
        .queues
        .iter()
        .map(|q| brokers.iter().position(|&a| a == q.addr).unwrap_or(0))
        .collect();
    let templates = config
        .targets
        .queues
        .iter()
        .map(|q| template(&config, &config.targets, q.queue_id, &q.broker_name))
        .collect();
    let batch_body = batch_body(&config, thread);
    let senders = config.senders();
    let shared = Rc::new(Shared {
        config,
        clock,
        templates,
        broker_of_queue,
        clients,
        batch_body,
        stats,
    });
    let tasks: Vec<_> = (thread..senders)
        .step_by(threads)
        .map(|sender| glommio::spawn_local(run_sender(shared.clone(), sender)))
        .collect();
    for task in tasks {
        task.await;
    }
}

/// Connections worker `thread` opens to each broker: connection `c` of
/// `connections` belongs to thread `c % threads`, and each has at least one.
pub fn connections_of_thread(connections: usize, threads: usize, thread: usize) -> usize {
    let connections = connections.max(threads);
    connections / threads + usize::from(thread < connections % threads)
}

fn client_config() -> ClientConfig {
    ClientConfig::default()
}

fn template(config: &ProducerConfig, targets: &Targets, queue_id: i32, broker: &str) -> ExtFields {
    let header = SendMessageRequestHeader {
        producer_group: config.group.clone(),
        topic: config.topic.clone(),
        default_topic: targets.default_topic.clone(),
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

fn uniq_generator(thread: usize) -> UniqKeyGenerator {
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
    let properties: Vec<String> = (0..config.batch)
        .map(|_| {
            let id = generator.next(now_ms);
            format!(
                "{}UNIQ_KEY\u{1}{}\u{2}",
                fixed_properties(config),
                id.as_str()
            )
        })
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

async fn run_sender(shared: Rc<Shared>, sender: usize) {
    let config = &shared.config;
    let clock = shared.clock;
    let mut schedule = config
        .rate_per_s
        .map(|rate| Schedule::new(rate, config.senders(), sender));
    let sends_max = shared.config.sends_of(sender);
    let fixed = fixed_properties(config);
    let mut generator = uniq_generator(sender);
    let queues = shared.templates.len();
    assert!(queues > 0, "no queues to send to");
    let mut next_queue = sender;
    let mut sends: u64 = 0;
    let local_connections = shared.clients.first().map_or(1, Vec::len).max(1);
    let connection = (sender / config.threads.max(1)) % local_connections;
    loop {
        if sends_max.is_some_and(|max| sends >= max) || clock.past_deadline() {
            break;
        }
        let slot = match schedule.as_mut() {
            Some(schedule) => {
                let slot = schedule.next(clock.now_ns());
                if slot.wait_ns > 0 {
                    glommio::timer::sleep(Duration::from_nanos(slot.wait_ns)).await;
                    if clock.past_deadline() {
                        break;
                    }
                }
                slot
            }
            // Closed loop: the intended time is now.
            None => Slot {
                intended_ns: clock.now_ns(),
                wait_ns: 0,
            },
        };
        let intended_ns = slot.intended_ns;
        let queue = next_queue % queues;
        next_queue = next_queue.wrapping_add(1);
        // Keys k0, k1, ... are unique over all senders: sender s writes
        // k(s), k(s + senders), ... so `query --keys N` finds each of them.
        let key_seq = sends * config.senders() as u64 + sender as u64;
        let command = build_command(&shared, queue, intended_ns, &fixed, &mut generator, key_seq);
        let broker = shared.broker_of_queue.get(queue).copied().unwrap_or(0);
        let Some(client) = shared.clients.get(broker).and_then(|c| c.get(connection)) else {
            break;
        };
        let outcome = send(client, command, config.mode, config.timeout).await;
        let latency_us = slot.latency_us(clock.now_ns());
        let messages = config.batch.max(1) as u64;
        let pause = match outcome {
            Ok(0) => {
                let body_bytes = messages * config.payload.len() as u64;
                shared
                    .stats
                    .borrow_mut()
                    .record_ok(latency_us, messages, body_bytes);
                false
            }
            Ok(code) => {
                shared.stats.borrow_mut().record_error(code);
                false
            }
            Err(code) => {
                shared.stats.borrow_mut().record_error(code);
                code == ERROR_CONNECTION
            }
        };
        if pause {
            glommio::timer::sleep(ERROR_PAUSE).await;
        }
        sends += 1;
    }
}

fn build_command(
    shared: &Shared,
    queue: usize,
    intended_ns: u64,
    fixed: &str,
    generator: &mut UniqKeyGenerator,
    seq: u64,
) -> RemotingCommand {
    let config = &shared.config;
    let clock = &shared.clock;
    let born_ms = i64::try_from(clock.unix_us(clock.now_ns()) / 1_000).unwrap_or(0);
    let mut fields = shared.templates.get(queue).cloned().unwrap_or_default();
    fields.insert("g".to_owned(), born_ms.to_string());
    if config.batch > 1 {
        return RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE.0)
            .with_ext_fields(fields)
            .with_body(shared.batch_body.clone());
    }
    let mut properties = String::with_capacity(fixed.len() + 64);
    properties.push_str(fixed);
    if config.keys {
        properties.push_str("KEYS\u{1}k");
        properties.push_str(&seq.to_string());
        properties.push('\u{2}');
    }
    properties.push_str("UNIQ_KEY\u{1}");
    properties.push_str(generator.next(born_ms).as_str());
    properties.push('\u{2}');
    fields.insert("i".to_owned(), properties);
    let body = if config.stamp {
        stamped(&config.payload, clock.unix_us(intended_ns))
    } else {
        config.payload.clone()
    };
    RemotingCommand::request(RequestCode::SEND_MESSAGE_V2.0)
        .with_ext_fields(fields)
        .with_body(body)
}

/// A copy of `payload` whose first bytes carry [`STAMP_MAGIC`] and
/// `intended_unix_us` (payloads shorter than the stamp grow to it).
pub fn stamped(payload: &[u8], intended_unix_us: u64) -> Bytes {
    let mut body = BytesMut::with_capacity(payload.len().max(STAMP_SIZE_BYTES));
    body.put_slice(STAMP_MAGIC);
    body.put_u64(intended_unix_us);
    if let Some(rest) = payload.get(STAMP_SIZE_BYTES..) {
        body.put_slice(rest);
    }
    body.freeze()
}

/// The stamp of a body made by [`stamped`], µs since the epoch.
pub fn stamp_of(body: &[u8]) -> Option<u64> {
    let magic = body.get(..STAMP_MAGIC.len())?;
    if magic != STAMP_MAGIC {
        return None;
    }
    let bytes: [u8; 8] = body.get(8..STAMP_SIZE_BYTES)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// Sends one command; `Ok(response code)` or `Err(pseudo code)`.
async fn send(
    client: &Client,
    command: RemotingCommand,
    mode: Mode,
    timeout: Duration,
) -> Result<i32, i32> {
    if mode != Mode::Oneway {
        return client
            .request(command, timeout)
            .await
            .map(|response| response.code)
            .map_err(|err| error_code(&err));
    }
    let ctx = client.connection().await.map_err(|err| error_code(&err))?;
    ctx.send_oneway(command).map_err(|err| error_code(&err))?;
    for _ in 0..ONEWAY_WAITS_MAX {
        if ctx.queued_write_bytes() <= ONEWAY_QUEUED_BYTES_MAX || ctx.is_closed() {
            return Ok(0);
        }
        glommio::timer::sleep(ONEWAY_WAIT).await;
    }
    Err(ERROR_BACKPRESSURE)
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
    use super::*;

    #[test]
    fn stamp_round_trips_and_keeps_the_payload_length() {
        let payload = vec![b'x'; 100];
        let body = stamped(&payload, 1_700_000_000_123_456);
        assert_eq!(body.len(), 100);
        assert_eq!(stamp_of(&body), Some(1_700_000_000_123_456));
        assert_eq!(&body[16..], &payload[16..]);
        assert_eq!(stamp_of(&payload), None);
        assert_eq!(stamp_of(b"THRBENCH"), None);
    }

    #[test]
    fn connections_spread_over_threads_with_at_least_one_each() {
        assert_eq!(connections_of_thread(1, 2, 0), 1);
        assert_eq!(connections_of_thread(1, 2, 1), 1);
        assert_eq!(connections_of_thread(5, 2, 0), 3);
        assert_eq!(connections_of_thread(5, 2, 1), 2);
    }
}
