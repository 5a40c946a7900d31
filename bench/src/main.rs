//! thrust-bench: a load generator for RocketMQ-compatible brokers (Thrust
//! and Apache RocketMQ alike) with HDR latency histograms.
//!
//! `thrust-bench produce|consume|e2e|query -n NAMESRV [options]`; `--help`
//! lists the options. It finds brokers through the name server
//! (GET_ROUTEINFO_BY_TOPIC, [`route`]), sends from [`producer`] senders
//! (closed loop, or open loop on a [`schedule`] with `--rate`) over its own
//! lean connections ([`send_connection`]; each queue's header is encoded
//! once, [`send_template`]), so that the tool takes little CPU from the
//! broker it measures; pulls with long polling from [`consumer`] loops,
//! prints a progress line a second and a final report ([`report`]; `--json`
//! for one JSON object on stdout). Worker threads each run a glommio
//! executor ([`runner`]); the statistics are per thread and merged once a
//! second ([`stats`]).
//!
//! Place in the crate graph: depends on `thrust-core` and `thrust-net`
//! only; it never links the broker, so it measures what a client sees.
#![forbid(unsafe_code)]

mod consumer;
mod error;
mod producer;
mod query;
mod report;
mod response_head;
mod route;
mod runner;
mod schedule;
mod send_client;
mod send_connection;
mod send_template;
mod sender;
mod stats;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use glommio::{LocalExecutorBuilder, Placement};
use serde_json::{json, Value};

use crate::consumer::{ConsumerConfig, From};
use crate::error::BenchError;
use crate::producer::{Mode, ProducerConfig};
use crate::route::{RouteOptions, Targets, Use};
use crate::runner::{RunClock, Stream, Totals};
use crate::stats::Stats;

/// Longest a count-bounded consume or e2e run may take when no
/// `--duration` is given.
const COUNT_RUN_MAX: Duration = Duration::from_secs(600);
/// Measured seconds when neither `--duration` nor `--count` is given.
const DURATION_DEFAULT_S: f64 = 10.0;

#[derive(Parser, Debug)]
#[command(
    name = "thrust-bench",
    version,
    about = "Load generator for RocketMQ-compatible brokers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send messages and report send latency.
    Produce(ProduceCmd),
    /// Pull messages with long polling and report end-to-end latency.
    Consume(ConsumeCmd),
    /// Produce at a fixed rate and consume at once.
    E2e(E2eCmd),
    /// Look messages up by key (QUERY_MESSAGE) and report lookup latency.
    Query(QueryCmd),
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Name server list, `;`-separated.
    #[arg(short = 'n', long = "namesrv", default_value = "127.0.0.1:9876")]
    namesrv: String,
    /// Topic.
    #[arg(short = 't', long, default_value = "BenchTopic")]
    topic: String,
    /// Worker threads (one glommio executor each, unbound).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Measured seconds (after warm-up). Default 10 unless --count is given.
    #[arg(short = 'd', long)]
    duration: Option<f64>,
    /// Messages in all (then warm-up is off).
    #[arg(short = 'c', long)]
    count: Option<u64>,
    /// Warm-up seconds, not counted (duration runs only).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// If the topic has no route, create it on every master (else use TBW102).
    #[arg(long)]
    create_topic: bool,
    /// Queues per broker of a created topic.
    #[arg(long, default_value_t = 8)]
    queues: i32,
    /// Request timeout, ms.
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
    /// Print the final report as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// No progress lines.
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Args, Debug, Clone)]
struct SendOpts {
    /// Message body size, bytes.
    #[arg(short = 's', long, default_value_t = 1024)]
    size: usize,
    /// TCP connections per broker (over all threads; at least one per thread).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Producers (sync and oneway: one send outstanding each).
    #[arg(short = 'p', long, default_value_t = 1)]
    producers: usize,
    /// sync | async | oneway.
    #[arg(short = 'm', long, value_enum, default_value_t = Mode::Async)]
    mode: Mode,
    /// Sends in flight per producer in async mode.
    #[arg(long, default_value_t = 64)]
    inflight: usize,
    /// Messages per send (more than 1: SEND_BATCH_MESSAGE).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Give every message a KEYS property: k0, k1, ... (unique in the run).
    #[arg(long)]
    keys: bool,
    /// TAGS property of every message.
    #[arg(long)]
    tags: Option<String>,
    /// Target total rate, messages/s (open loop; default: as fast as possible).
    #[arg(short = 'r', long)]
    rate: Option<f64>,
    /// Producer group.
    #[arg(long, default_value = "thrust_bench_producer")]
    producer_group: String,
    /// Write the intended send time into each body (µs end-to-end latency).
    #[arg(long)]
    stamp: bool,
}

#[derive(Args, Debug, Clone)]
struct PullOpts {
    /// Consumer group.
    #[arg(short = 'g', long, default_value = "thrust_bench_consumer")]
    group: String,
    /// Messages per pull.
    #[arg(long, default_value_t = 32)]
    max_msgs: i32,
    /// Long-poll hold time, ms.
    #[arg(long, default_value_t = 15_000)]
    suspend_ms: u64,
    /// Stop after this many seconds without a message (after the first one).
    #[arg(long)]
    idle_exit: Option<f64>,
}

#[derive(Args, Debug)]
struct ProduceCmd {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    send: SendOpts,
}

#[derive(Args, Debug)]
struct ConsumeCmd {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    pull: PullOpts,
    /// first (everything stored) | last (only new messages).
    #[arg(long, value_enum, default_value_t = From::First)]
    from: From,
}

#[derive(Args, Debug)]
struct E2eCmd {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    send: SendOpts,
    #[command(flatten)]
    pull: PullOpts,
    /// Seconds the consumer goes on after the producer stopped.
    #[arg(long, default_value_t = 3.0)]
    drain: f64,
}

#[derive(Args, Debug)]
struct QueryCmd {
    #[command(flatten)]
    common: Common,
    /// Keys are drawn from k0 .. k<keys-1> (what `produce --keys` wrote).
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Lookups in flight per thread.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// maxNum of each QUERY_MESSAGE.
    #[arg(long, default_value_t = 32)]
    max_num: i32,
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Produce(cmd) => produce(cmd),
        Command::Consume(cmd) => consume(cmd),
        Command::E2e(cmd) => e2e(cmd),
        Command::Query(cmd) => query(cmd),
    };
    match result {
        Ok(report) => {
            if report["json"].as_bool() == Some(true) {
                let mut report = report;
                if let Some(object) = report.as_object_mut() {
                    object.remove("json");
                }
                println!("{report}");
            } else {
                print!("{}", report::text(&report));
            }
        }
        Err(err) => {
            eprintln!("thrust-bench: {err}");
            std::process::exit(1);
        }
    }
}

fn seconds(value: f64, what: &str) -> Result<Duration, BenchError> {
    Duration::try_from_secs_f64(value).map_err(|err| BenchError::Options(format!("{what}: {err}")))
}

/// Warm-up and measured duration of a run.
fn timing(common: &Common) -> Result<(Duration, Option<Duration>), BenchError> {
    match (common.duration, common.count) {
        (Some(d), _) => Ok((
            seconds(common.warmup, "--warmup")?,
            Some(seconds(d, "--duration")?),
        )),
        (None, Some(_)) => Ok((Duration::ZERO, None)),
        (None, None) => Ok((
            seconds(common.warmup, "--warmup")?,
            Some(seconds(DURATION_DEFAULT_S, "duration")?),
        )),
    }
}

/// Runs `setup` on a short-lived executor on the main thread.
fn setup<T, F>(future: F) -> Result<T, BenchError>
where
    F: std::future::Future<Output = Result<T, BenchError>> + 'static,
    T: 'static,
{
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .name("bench-setup")
        .make()
        .map_err(|err| BenchError::Worker(err.to_string()))?;
    executor.run(future)
}

fn check_common(common: &Common) -> Result<Vec<SocketAddr>, BenchError> {
    if common.threads == 0 || common.queues <= 0 {
        return Err(BenchError::Options(
            "--threads and --queues must be positive".into(),
        ));
    }
    route::parse_addrs(&common.namesrv)
}

fn resolve(common: &Common, usage: Use) -> Result<Targets, BenchError> {
    let name_servers = check_common(common)?;
    let (topic, options) = (
        common.topic.clone(),
        RouteOptions {
            create_topic: common.create_topic,
            queues: common.queues,
        },
    );
    let targets =
        setup(async move { route::resolve(&name_servers, &topic, usage, options).await })?;
    log::info!("{}", producer::describe(&targets));
    Ok(targets)
}

fn producer_config(
    common: &Common,
    send: &SendOpts,
    targets: Targets,
) -> Result<ProducerConfig, BenchError> {
    if send.producers == 0 || send.inflight == 0 || send.batch == 0 || send.size == 0 {
        return Err(BenchError::Options(
            "--producers, --inflight, --batch and --size must be positive".into(),
        ));
    }
    if send.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(BenchError::Options(
            "--rate must be a positive number".into(),
        ));
    }
    // A fixed pattern (not zeros, which a compressing path could shrink).
    let payload: Vec<u8> = (0..send.size).map(|i| b'a' + (i % 26) as u8).collect();
    ProducerConfig {
        targets,
        topic: common.topic.clone(),
        group: send.producer_group.clone(),
        mode: send.mode,
        producers: send.producers,
        inflight: send.inflight,
        connections: send.connections,
        threads: common.threads,
        payload: Bytes::from(payload),
        batch: send.batch,
        keys: send.keys,
        tags: send.tags.clone(),
        rate_per_s: send.rate,
        count: common.count,
        stamp: send.stamp,
        timeout: Duration::from_millis(common.timeout_ms),
        templates: Vec::new(),
    }
    .prepare()
}

/// Runs `work` on every worker thread as the one "produce" stream of
/// requests (sends, or lookups) and collects the totals.
fn run_request_stream<C, W, F>(common: &Common, config: C, work: W) -> Result<Totals, BenchError>
where
    C: Clone + Send + Sync + 'static,
    W: Fn(C, RunClock, usize, Rc<RefCell<Stats>>) -> F + Copy + Send + Sync + 'static,
    F: std::future::Future<Output = ()> + 'static,
{
    let (warmup, duration) = timing(common)?;
    let clock = RunClock::new(warmup, duration);
    let (events, handles) = runner::spawn_workers(common.threads, move |thread, events| {
        let config = config.clone();
        async move {
            let stats = Rc::new(RefCell::new(Stats::new()));
            let requests = work(config, clock, thread, stats.clone());
            runner::run_worker(requests, vec![(Stream::Produce, stats)], clock, events).await;
        }
    })?;
    let totals = runner::collect(
        events,
        common.threads,
        clock,
        &[Stream::Produce],
        common.quiet,
    );
    join(handles);
    Ok(totals)
}

fn produce(cmd: ProduceCmd) -> Result<Value, BenchError> {
    let targets = resolve(&cmd.common, Use::Write)?;
    let config = producer_config(&cmd.common, &cmd.send, targets)?;
    let totals = run_request_stream(&cmd.common, config, producer::run)?;
    Ok(build_report(
        "produce",
        &cmd.common,
        params_send(&cmd.send),
        &totals,
        true,
        false,
    ))
}

fn consumer_config(
    common: &Common,
    pull: &PullOpts,
    deadline: Option<std::time::Instant>,
    from: From,
) -> Result<ConsumerConfig, BenchError> {
    let targets = resolve(common, Use::Read)?;
    let topic = common.topic.clone();
    let queues =
        setup(async move { consumer::start_offsets(&targets.queues, &topic, from).await })?;
    let idle_exit = pull
        .idle_exit
        .map(|s| seconds(s, "--idle-exit"))
        .transpose()?;
    Ok(ConsumerConfig {
        queues,
        topic: common.topic.clone(),
        group: pull.group.clone(),
        threads: common.threads,
        max_msgs: pull.max_msgs,
        suspend: Duration::from_millis(pull.suspend_ms),
        count: common.count,
        idle_exit,
        deadline,
        received: Arc::new(AtomicU64::new(0)),
        last_message_unix_us: Arc::new(AtomicU64::new(0)),
    })
}

fn consume(cmd: ConsumeCmd) -> Result<Value, BenchError> {
    let (warmup, duration) = timing(&cmd.common)?;
    // The clock starts after set-up; the deadline is fixed here from it.
    let mut config = consumer_config(&cmd.common, &cmd.pull, None, cmd.from)?;
    let clock = RunClock::new(warmup, duration.or(Some(COUNT_RUN_MAX)));
    config.deadline = clock.deadline;
    let (events, handles) = runner::spawn_workers(cmd.common.threads, move |thread, events| {
        let config = config.clone();
        async move {
            let stats = Rc::new(RefCell::new(Stats::new()));
            let work = consumer::run(config, thread, stats.clone());
            runner::run_worker(work, vec![(Stream::Consume, stats)], clock, events).await;
        }
    })?;
    let totals = runner::collect(
        events,
        cmd.common.threads,
        clock,
        &[Stream::Consume],
        cmd.common.quiet,
    );
    join(handles);
    let params = json!({ "group": cmd.pull.group, "from": format!("{:?}", cmd.from) });
    Ok(build_report(
        "consume",
        &cmd.common,
        params,
        &totals,
        false,
        true,
    ))
}

fn e2e(cmd: E2eCmd) -> Result<Value, BenchError> {
    if cmd.send.rate.is_none() {
        return Err(BenchError::Options("e2e needs --rate".into()));
    }
    let targets = resolve(&cmd.common, Use::Write)?;
    let mut send = cmd.send.clone();
    send.stamp = true;
    let producer = producer_config(&cmd.common, &send, targets)?;
    let mut consumer = consumer_config(&cmd.common, &cmd.pull, None, From::Last)?;
    let (warmup, duration) = timing(&cmd.common)?;
    let clock = RunClock::new(warmup, duration);
    let drain = seconds(cmd.drain, "--drain")?;
    consumer.deadline = Some(match clock.deadline {
        Some(deadline) => deadline + drain,
        None => clock.start + COUNT_RUN_MAX,
    });
    let threads = cmd.common.threads;
    let (events, handles) = runner::spawn_workers(threads, move |thread, events| {
        let (producer, consumer) = (producer.clone(), consumer.clone());
        async move {
            let sent = Rc::new(RefCell::new(Stats::new()));
            let received = Rc::new(RefCell::new(Stats::new()));
            let work = futures_lite::future::zip(
                producer::run(producer, clock, thread, sent.clone()),
                consumer::run(consumer, thread, received.clone()),
            );
            let streams = vec![(Stream::Produce, sent), (Stream::Consume, received)];
            runner::run_worker(
                async {
                    work.await;
                },
                streams,
                clock,
                events,
            )
            .await;
        }
    })?;
    let streams = [Stream::Produce, Stream::Consume];
    let totals = runner::collect(events, threads, clock, &streams, cmd.common.quiet);
    join(handles);
    Ok(build_report(
        "e2e",
        &cmd.common,
        params_send(&send),
        &totals,
        true,
        true,
    ))
}

fn query(cmd: QueryCmd) -> Result<Value, BenchError> {
    if cmd.keys == 0 || cmd.concurrency == 0 || cmd.max_num <= 0 {
        return Err(BenchError::Options(
            "--keys, --concurrency and --max-num must be positive".into(),
        ));
    }
    let targets = resolve(&cmd.common, Use::Read)?;
    let config = query::QueryConfig {
        brokers: targets.broker_addrs(),
        topic: cmd.common.topic.clone(),
        keys: cmd.keys,
        concurrency: cmd.concurrency,
        max_num: cmd.max_num,
        threads: cmd.common.threads,
        count: cmd.common.count,
        timeout: Duration::from_millis(cmd.common.timeout_ms),
    };
    let totals = run_request_stream(&cmd.common, config, query::run)?;
    let params = json!({
        "keys": cmd.keys, "concurrency": cmd.concurrency, "max_num": cmd.max_num,
    });
    // Lookups travel as the "produce" stream (requests and their latency);
    // the report names the section "query".
    let mut report = build_report("query", &cmd.common, params, &totals, true, false);
    if let Some(object) = report.as_object_mut() {
        if let Some(section) = object.remove("produce") {
            object.insert("query".into(), section);
        }
    }
    Ok(report)
}

fn join(handles: Vec<std::thread::JoinHandle<()>>) {
    for handle in handles {
        if handle.join().is_err() {
            log::error!("a worker thread panicked");
        }
    }
}

fn params_send(send: &SendOpts) -> Value {
    json!({
        "size": send.size, "connections": send.connections, "producers": send.producers,
        "mode": format!("{:?}", send.mode).to_lowercase(), "inflight": send.inflight,
        "batch": send.batch, "keys": send.keys, "tags": send.tags, "rate": send.rate,
    })
}

fn build_report(
    command: &str,
    common: &Common,
    mut params: Value,
    totals: &Totals,
    with_produce: bool,
    with_consume: bool,
) -> Value {
    // An e2e run goes on draining after the producer stopped: its rates are
    // over the producer's window, not the drain.
    let elapsed = match (command, common.duration) {
        ("e2e", Some(seconds)) => Duration::from_secs_f64(seconds).min(totals.elapsed),
        _ => totals.elapsed,
    };
    if let Some(object) = params.as_object_mut() {
        object.insert("topic".into(), json!(common.topic));
        object.insert("threads".into(), json!(common.threads));
        object.insert("duration_s".into(), json!(common.duration));
        object.insert("count".into(), json!(common.count));
        object.insert("warmup_s".into(), json!(common.warmup));
        object.insert("namesrv".into(), json!(common.namesrv));
    }
    let mut report = json!({
        "command": command,
        "params": params,
        "machine": report::machine(),
        "json": common.json,
    });
    if let Some(object) = report.as_object_mut() {
        if with_produce {
            object.insert("produce".into(), report::section(&totals.produce, elapsed));
        }
        if with_consume {
            object.insert("consume".into(), report::section(&totals.consume, elapsed));
        }
    }
    report
}
