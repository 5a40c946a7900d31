//! The query side: QUERY_MESSAGE by key, as `DefaultMQAdminExt.queryMessage`
//! and `mqadmin queryMsgByKey` send it (REMOTING.md §3.10): every master of
//! the topic is asked for `maxNum` messages stored under `topic#key` over the
//! whole time range, and the lookup counts once every broker answered.
//!
//! Keys are those `produce --keys` writes (`k0`, `k1`, ... one per message,
//! unique over all senders of one run), drawn uniformly from `0..keys`: a
//! key below the number of messages sent exists (and matches one message
//! per run that wrote it).
//! A lookup that found at least one message counts as ok; one that every
//! broker answered QUERY_NOT_FOUND (22) counts as an error with that code,
//! so the report tells hits from misses.
//!
//! Closed loop: `concurrency` lookups in flight per worker thread, each
//! issuing its next lookup when the previous one completed.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{CommandHeader, QueryMessageRequestHeader};
use thrust_core::message::decode_records;
use thrust_net::{Client, ClientConfig};

use crate::producer::error_code;
use crate::runner::RunClock;
use crate::stats::Stats;

/// Everything a query worker needs; sent to each worker thread.
#[derive(Debug, Clone)]
pub struct QueryConfig {
    /// The masters of the topic.
    pub brokers: Vec<SocketAddr>,
    pub topic: String,
    /// Keys are drawn from `k0 .. k<keys - 1>`.
    pub keys: u64,
    /// Lookups in flight per thread.
    pub concurrency: usize,
    /// `maxNum` of each request.
    pub max_num: i32,
    pub threads: usize,
    /// Stop after this many lookups over all threads (None: the clock).
    pub count: Option<u64>,
    pub timeout: Duration,
}

impl QueryConfig {
    /// Lookups worker `thread` makes when the run is count-bounded.
    fn lookups_of(&self, thread: usize) -> Option<u64> {
        let threads = self.threads.max(1) as u64;
        let thread = thread as u64;
        self.count
            .map(|count| count / threads + u64::from(thread < count % threads))
    }
}

/// A small xorshift generator: keys need not be cryptographic, only spread.
struct KeyPicker(u64);

impl KeyPicker {
    fn next(&mut self, keys: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % keys.max(1)
    }
}

/// Runs worker `thread`'s lookups until the clock or the count stops them.
pub async fn run(config: QueryConfig, clock: RunClock, thread: usize, stats: Rc<RefCell<Stats>>) {
    let clients: Rc<Vec<Rc<Client>>> = Rc::new(
        config
            .brokers
            .iter()
            .map(|&addr| Rc::new(Client::new(addr, ClientConfig::default())))
            .collect(),
    );
    let budget = Rc::new(RefCell::new(config.lookups_of(thread)));
    let config = Rc::new(config);
    let tasks: Vec<_> = (0..config.concurrency.max(1))
        .map(|lane| {
            let seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (((thread as u64) << 32) | (lane as u64 + 1));
            let (config, clients, stats, budget) = (
                config.clone(),
                clients.clone(),
                stats.clone(),
                budget.clone(),
            );
            glommio::spawn_local(async move {
                let mut picker = KeyPicker(seed);
                loop {
                    if clock.past_deadline() {
                        break;
                    }
                    {
                        let mut budget = budget.borrow_mut();
                        match budget.as_mut() {
                            Some(0) => break,
                            Some(left) => *left -= 1,
                            None => {}
                        }
                    }
                    let key = format!("k{}", picker.next(config.keys));
                    let started = clock.now_ns();
                    let outcome = lookup(&config, &clients, &key).await;
                    let latency_us = clock.now_ns().saturating_sub(started) / 1_000;
                    let mut stats = stats.borrow_mut();
                    match outcome {
                        Ok((_messages, bytes)) => stats.record_ok(latency_us, 1, bytes),
                        Err(code) => stats.record_error(code),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
}

fn request(config: &QueryConfig, key: &str) -> RemotingCommand {
    let header = QueryMessageRequestHeader {
        topic: config.topic.clone(),
        key: key.to_string(),
        max_num: config.max_num,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: Some(false),
    };
    let mut command = RemotingCommand::request(RequestCode::QUERY_MESSAGE.0);
    header.to_ext_fields(&mut command.ext_fields);
    command
}

/// One lookup on every broker at once: `Ok((messages, body bytes))` if any
/// found messages, else `Err(code)` (22 when none did).
async fn lookup(
    config: &QueryConfig,
    clients: &[Rc<Client>],
    key: &str,
) -> Result<(u64, u64), i32> {
    let calls: Vec<_> = clients
        .iter()
        .map(|client| {
            let (client, command, timeout) = (client.clone(), request(config, key), config.timeout);
            glommio::spawn_local(async move { client.request(command, timeout).await })
        })
        .collect();
    let mut found = (0u64, 0u64);
    let mut failure = None;
    for call in calls {
        match call.await {
            Ok(response) if response.code == ResponseCode::SUCCESS.0 => {
                found.0 += decode_records(&response.body).count() as u64;
                found.1 += response.body.len() as u64;
            }
            Ok(response) => failure = failure.or(Some(response.code)),
            Err(err) => failure = Some(error_code(&err)),
        }
    }
    match (found.0, failure) {
        (0, failure) => Err(failure.unwrap_or(ResponseCode::QUERY_NOT_FOUND.0)),
        _ => Ok(found),
    }
}
