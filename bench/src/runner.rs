//! Worker threads and the once-a-second progress line.
//!
//! Each worker thread runs one glommio `LocalExecutor` (unbound placement:
//! the broker under test shares the machine, and pinning next to a busy
//! core halves throughput, DESIGN.md "Known ground"). A worker owns its
//! [`Stats`] per stream; a reporter task on the same executor hands interval
//! snapshots to the main thread over a channel every second, so nothing is
//! shared between threads on the per-message path. The main thread merges
//! the snapshots, prints progress to stderr and keeps the totals of the
//! measured window (after warm-up).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use glommio::{LocalExecutorBuilder, Placement};

use crate::error::BenchError;
use crate::report::progress_line;
use crate::stats::Stats;

/// How often workers hand over snapshots and progress is printed.
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);
/// How often a reporter wakes up to check for the end of warm-up.
const REPORTER_TICK: Duration = Duration::from_millis(50);
/// Longest any run may take beyond its planned end before the main thread
/// stops waiting for workers.
pub const FINISH_GRACE: Duration = Duration::from_secs(60);

/// The run's time base, shared (by copy) with every worker.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    /// Time zero of the run.
    pub start: Instant,
    /// Wall clock at `start`, µs since the Unix epoch.
    pub start_unix_us: u64,
    /// End of warm-up: samples before it are not in the totals.
    pub measure_from: Instant,
    /// Senders stop sending at this time (None: when their count is done).
    pub deadline: Option<Instant>,
}

impl RunClock {
    /// A clock starting now.
    pub fn new(warmup: Duration, duration: Option<Duration>) -> RunClock {
        let start = Instant::now();
        let start_unix_us = unix_us_now();
        let measure_from = start + warmup;
        RunClock {
            start,
            start_unix_us,
            measure_from,
            deadline: duration.map(|d| measure_from + d),
        }
    }

    /// ns since start.
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Wall clock of `ns` since start, µs since the epoch.
    pub fn unix_us(&self, ns: u64) -> u64 {
        self.start_unix_us.saturating_add(ns / 1_000)
    }

    /// Whether senders must stop.
    pub fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Wall-clock µs since the Unix epoch.
pub fn unix_us_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Which side of the run a snapshot belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Produce,
    Consume,
}

/// What a worker sends to the main thread.
#[derive(Debug)]
pub enum Event {
    /// Stats gathered since the previous snapshot.
    Snapshot {
        stream: Stream,
        stats: Stats,
        measured: bool,
    },
    /// The worker finished.
    Done,
}

/// The per-stream stats a worker fills.
pub type StreamStats = Vec<(Stream, Rc<RefCell<Stats>>)>;

/// Runs `work` to completion on this executor while a reporter task sends
/// snapshots of `streams` every second; then sends the final snapshots and
/// [`Event::Done`].
pub async fn run_worker<F: Future<Output = ()>>(
    work: F,
    streams: StreamStats,
    clock: RunClock,
    events: Sender<Event>,
) {
    let done = Rc::new(Cell::new(false));
    let reporter = glommio::spawn_local(reporter_loop(
        streams.clone(),
        clock,
        events.clone(),
        done.clone(),
    ));
    work.await;
    done.set(true);
    reporter.await;
    send_snapshots(&streams, &events, Instant::now() >= clock.measure_from);
    // The main thread may have gone (it gives up after FINISH_GRACE).
    if events.send(Event::Done).is_err() {
        log::debug!("main thread no longer listening");
    }
}

async fn reporter_loop(
    streams: StreamStats,
    clock: RunClock,
    events: Sender<Event>,
    done: Rc<Cell<bool>>,
) {
    let mut warm = Instant::now() >= clock.measure_from;
    let mut last_report = Instant::now();
    while !done.get() {
        glommio::timer::sleep(REPORTER_TICK).await;
        let now = Instant::now();
        if !warm && now >= clock.measure_from {
            // Everything so far is warm-up: hand it over as unmeasured.
            send_snapshots(&streams, &events, false);
            warm = true;
            last_report = now;
        } else if now.duration_since(last_report) >= PROGRESS_INTERVAL {
            send_snapshots(&streams, &events, warm);
            last_report = now;
        }
    }
}

fn send_snapshots(streams: &StreamStats, events: &Sender<Event>, measured: bool) {
    for (stream, stats) in streams {
        let stats = stats.borrow_mut().take();
        let event = Event::Snapshot {
            stream: *stream,
            stats,
            measured,
        };
        if events.send(event).is_err() {
            log::debug!("main thread no longer listening");
        }
    }
}

/// Starts `threads` worker threads, each running `make(thread, events)` on
/// its own executor.
///
/// # Errors
/// [`BenchError::Worker`] if a thread cannot start.
pub fn spawn_workers<M, F>(
    threads: usize,
    make: M,
) -> Result<(Receiver<Event>, Vec<std::thread::JoinHandle<()>>), BenchError>
where
    M: Fn(usize, Sender<Event>) -> F + Send + Sync + Clone + 'static,
    F: Future<Output = ()> + 'static,
{
    assert!(threads > 0);
    let (tx, rx) = channel();
    let mut handles = Vec::with_capacity(threads);
    for thread in 0..threads {
        let (make, tx) = (make.clone(), tx.clone());
        let handle = std::thread::Builder::new()
            .name(format!("bench-{thread}"))
            .spawn(move || {
                let executor = LocalExecutorBuilder::new(Placement::Unbound)
                    .name(&format!("bench-{thread}"))
                    .make();
                match executor {
                    Ok(executor) => executor.run(make(thread, tx)),
                    Err(err) => {
                        log::error!("worker {thread}: cannot start executor: {err}");
                        if tx.send(Event::Done).is_err() {
                            log::debug!("main thread no longer listening");
                        }
                    }
                }
            })
            .map_err(|err| BenchError::Worker(err.to_string()))?;
        handles.push(handle);
    }
    Ok((rx, handles))
}

/// Totals of the measured window, per stream.
#[derive(Debug, Default)]
pub struct Totals {
    pub produce: Stats,
    pub consume: Stats,
    /// From the end of warm-up to the last worker's end.
    pub elapsed: Duration,
}

/// Collects events until every worker is done (or `FINISH_GRACE` past the
/// planned end), printing a progress line every second unless `quiet`.
pub fn collect(
    events: Receiver<Event>,
    workers: usize,
    clock: RunClock,
    streams: &[Stream],
    quiet: bool,
) -> Totals {
    let mut totals = Totals::default();
    let mut interval_produce = Stats::new();
    let mut interval_consume = Stats::new();
    let mut done = 0;
    let mut last_print = Instant::now();
    // A progress line is printed once every live worker has handed over its
    // snapshots of the second (or after two seconds, if one is slow).
    let mut snapshots = 0;
    let snapshots_per_round = workers * streams.len();
    let give_up = clock.deadline.map(|d| d + FINISH_GRACE);
    while done < workers {
        if give_up.is_some_and(|g| Instant::now() >= g) {
            log::error!("{} workers did not finish in time", workers - done);
            break;
        }
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Done) => done += 1,
            Ok(Event::Snapshot {
                stream,
                stats,
                measured,
            }) => {
                let (interval, total) = match stream {
                    Stream::Produce => (&mut interval_produce, &mut totals.produce),
                    Stream::Consume => (&mut interval_consume, &mut totals.consume),
                };
                interval.merge(&stats);
                if measured {
                    total.merge(&stats);
                }
                snapshots += 1;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let since = last_print.elapsed();
        let round_complete = snapshots >= snapshots_per_round.saturating_sub(done * streams.len());
        if (round_complete && snapshots > 0) || since >= 2 * PROGRESS_INTERVAL {
            if !quiet {
                let elapsed_s = clock.start.elapsed().as_secs_f64();
                let mut parts = Vec::new();
                for stream in streams {
                    let (interval, total) = match stream {
                        Stream::Produce => (&interval_produce, &totals.produce),
                        Stream::Consume => (&interval_consume, &totals.consume),
                    };
                    parts.push(progress_line(*stream, interval, total, since));
                }
                eprintln!("[{elapsed_s:6.1}s] {}", parts.join(" | "));
            }
            interval_produce = Stats::new();
            interval_consume = Stats::new();
            last_print = Instant::now();
            snapshots = 0;
        }
    }
    totals.elapsed = Instant::now().saturating_duration_since(clock.measure_from);
    totals
}
