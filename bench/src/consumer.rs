//! The consumer side: one long-polling PULL_MESSAGE loop per queue, like a
//! push consumer (REMOTING.md §3.3–3.5).
//!
//! Pulls set SUSPEND and SUBSCRIPTION (`subscription="*"`), so no HEART_BEAT
//! registration is needed on an Apache broker (§3.7). Start offsets come
//! from GET_MIN_OFFSET (`--from first`) or GET_MAX_OFFSET (`--from last`);
//! the group's stored offset is not read and no offset is committed: the
//! bench measures delivery, it is not a consumer of record.
//!
//! Each received message counts once, with its end-to-end latency: now minus
//! the producer's stamp (µs, see [`crate::producer::stamp`]) when the body
//! carries one, else now minus the born timestamp (ms resolution).
//!
//! Queues are spread over worker threads (queue `i` on thread
//! `i % threads`). The only cross-thread state is one atomic counter added
//! to once per pull response, so that `--count` can stop all threads.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    CommandHeader, GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader, PullMessageRequestHeader,
    PullMessageResponseHeader,
};
use thrust_core::message::decode_records;
use thrust_net::{Client, ClientConfig};

use crate::error::BenchError;
use crate::producer::{error_code, stamp_of};
use crate::route::{QueueTarget, SETUP_TIMEOUT};
use crate::runner::unix_us_now;
use crate::stats::{Stats, ERROR_DECODE};

/// PullSysFlag SUSPEND.
pub const PULL_FLAG_SUSPEND: i32 = 0x2;
/// PullSysFlag SUBSCRIPTION.
pub const PULL_FLAG_SUBSCRIPTION: i32 = 0x4;
/// Extra time a pull may take beyond its suspend time before it times out.
const PULL_TIMEOUT_MARGIN: Duration = Duration::from_secs(10);
/// Pause after a failed pull (Java waits 1 s; shorter keeps tests quick).
const ERROR_PAUSE: Duration = Duration::from_millis(200);
/// How often the stop conditions are checked.
const STOP_POLL: Duration = Duration::from_millis(10);

/// Where consumption starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// The queue's min offset (everything still stored).
    First,
    /// The queue's max offset (only new messages).
    Last,
}

/// One queue and its start offset.
#[derive(Debug, Clone)]
pub struct QueueStart {
    pub queue: QueueTarget,
    pub offset: i64,
}

/// Everything a consumer worker needs; sent to each worker thread.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub queues: Vec<QueueStart>,
    pub topic: String,
    pub group: String,
    pub threads: usize,
    pub max_msgs: i32,
    pub suspend: Duration,
    /// Stop once this many messages arrived over all threads.
    pub count: Option<u64>,
    /// Stop this long after the last message (None: never).
    pub idle_exit: Option<Duration>,
    /// Stop at this time (None: only count or idle stop the run).
    pub deadline: Option<Instant>,
    /// Messages received over all threads.
    pub received: Arc<AtomicU64>,
    /// Wall clock of the last message received anywhere, µs since epoch.
    pub last_message_unix_us: Arc<AtomicU64>,
}

/// The start offsets of `queues` (one request per queue, at set-up).
///
/// # Errors
/// A failed or refused offset request.
pub async fn start_offsets(
    queues: &[QueueTarget],
    topic: &str,
    from: From,
) -> Result<Vec<QueueStart>, BenchError> {
    let mut starts = Vec::with_capacity(queues.len());
    for queue in queues {
        let client = Client::new(queue.addr, ClientConfig::default());
        let request = match from {
            From::First => RemotingCommand::request(RequestCode::GET_MIN_OFFSET.0).with_ext_fields(
                GetMinOffsetRequestHeader {
                    topic: topic.to_owned(),
                    queue_id: queue.queue_id,
                }
                .encode(),
            ),
            From::Last => RemotingCommand::request(RequestCode::GET_MAX_OFFSET.0).with_ext_fields(
                GetMaxOffsetRequestHeader {
                    topic: topic.to_owned(),
                    queue_id: queue.queue_id,
                    committed: true,
                }
                .encode(),
            ),
        };
        let addr = queue.addr;
        let response = client
            .request(request, SETUP_TIMEOUT)
            .await
            .map_err(|source| BenchError::Net { addr, source })?;
        client.close();
        let offset = response
            .ext_field("offset")
            .and_then(|text| text.parse::<i64>().ok());
        let (ResponseCode::SUCCESS, Some(offset)) = (response.response_code(), offset) else {
            return Err(BenchError::Refused {
                what: "GET_MIN/MAX_OFFSET",
                addr,
                code: response.code,
                remark: response.remark.unwrap_or_default(),
            });
        };
        starts.push(QueueStart {
            queue: queue.clone(),
            offset,
        });
    }
    Ok(starts)
}

/// Runs the pull loops of worker `thread` until a stop condition holds.
pub async fn run(config: ConsumerConfig, thread: usize, stats: Rc<RefCell<Stats>>) {
    let threads = config.threads.max(1);
    let config = Rc::new(config);
    let mut clients: Vec<(SocketAddr, Rc<Client>)> = Vec::new();
    let mut tasks = Vec::new();
    for (index, start) in config.queues.iter().enumerate() {
        if index % threads != thread {
            continue;
        }
        let addr = start.queue.addr;
        let client = match clients.iter().find(|(a, _)| *a == addr) {
            Some((_, client)) => client.clone(),
            None => {
                let client = Rc::new(Client::new(addr, ClientConfig::default()));
                clients.push((addr, client.clone()));
                client
            }
        };
        let (config, stats, start) = (config.clone(), stats.clone(), start.clone());
        tasks.push(glommio::spawn_local(pull_loop(
            config, client, start, stats,
        )));
    }
    loop {
        if should_stop(&config) {
            break;
        }
        glommio::timer::sleep(STOP_POLL).await;
    }
    // Dropping the tasks cancels the pulls parked in long polls.
    drop(tasks);
    for (_, client) in clients {
        client.close();
    }
}

fn should_stop(config: &ConsumerConfig) -> bool {
    let received = config.received.load(Ordering::Relaxed);
    if config.count.is_some_and(|count| received >= count) {
        return true;
    }
    if config.deadline.is_some_and(|d| Instant::now() >= d) {
        return true;
    }
    if let Some(idle) = config.idle_exit {
        let last_us = config.last_message_unix_us.load(Ordering::Relaxed);
        let idle_us = u64::try_from(idle.as_micros()).unwrap_or(u64::MAX);
        return last_us > 0 && unix_us_now().saturating_sub(last_us) >= idle_us;
    }
    false
}

fn pull_request(config: &ConsumerConfig, queue_id: i32, offset: i64) -> RemotingCommand {
    let suspend_ms = i64::try_from(config.suspend.as_millis()).unwrap_or(i64::MAX);
    let header = PullMessageRequestHeader {
        consumer_group: config.group.clone(),
        topic: config.topic.clone(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: config.max_msgs,
        sys_flag: PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION,
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".to_owned()),
        sub_version: 0,
        expression_type: Some("TAG".to_owned()),
        ..Default::default()
    };
    RemotingCommand::request(RequestCode::PULL_MESSAGE.0).with_ext_fields(header.encode())
}

async fn pull_loop(
    config: Rc<ConsumerConfig>,
    client: Rc<Client>,
    start: QueueStart,
    stats: Rc<RefCell<Stats>>,
) {
    let mut offset = start.offset;
    let timeout = config.suspend + PULL_TIMEOUT_MARGIN;
    loop {
        let request = pull_request(&config, start.queue.queue_id, offset);
        let response = match client.request(request, timeout).await {
            Ok(response) => response,
            Err(err) => {
                stats.borrow_mut().record_error(error_code(&err));
                glommio::timer::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        let header = PullMessageResponseHeader::from_ext_fields(&response.ext_fields);
        let code = response.response_code();
        match (code, header) {
            (ResponseCode::SUCCESS, Ok(header)) => {
                let received = record_messages(&response.body, &stats);
                if received > 0 {
                    // Relaxed: only the stop conditions read these.
                    config.received.fetch_add(received, Ordering::Relaxed);
                    touch(&config.last_message_unix_us);
                }
                offset = header.next_begin_offset;
            }
            (
                ResponseCode::PULL_NOT_FOUND
                | ResponseCode::PULL_RETRY_IMMEDIATELY
                | ResponseCode::PULL_OFFSET_MOVED,
                Ok(header),
            ) => offset = header.next_begin_offset,
            _ => {
                stats.borrow_mut().record_error(response.code);
                glommio::timer::sleep(ERROR_PAUSE).await;
            }
        }
    }
}

/// Counts the records of a pull body; returns how many.
fn record_messages(body: &[u8], stats: &RefCell<Stats>) -> u64 {
    let now_us = unix_us_now();
    let mut stats = stats.borrow_mut();
    let mut received = 0;
    for record in decode_records(body) {
        let Ok(record) = record else {
            stats.record_error(ERROR_DECODE);
            break;
        };
        let sent_us = stamp_of(record.body()).unwrap_or_else(|| {
            u64::try_from(record.born_timestamp())
                .unwrap_or(0)
                .saturating_mul(1_000)
        });
        let body_bytes = record.body().len() as u64;
        stats.record_ok(now_us.saturating_sub(sent_us), 1, body_bytes);
        received += 1;
    }
    received
}

/// Marks now as the time of the last message, for `--idle-exit`.
pub fn touch(last_message_unix_us: &AtomicU64) {
    last_message_unix_us.store(unix_us_now(), Ordering::Relaxed);
}
