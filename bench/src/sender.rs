//! One sender: a loop with at most one send outstanding (see
//! [`crate::producer`] for how many run and what they send).
//!
//! Per send: the clock is read once before it (deadline check, intended
//! time of a closed-loop send, born timestamp) and once after it (latency);
//! the frame is written from the queue's template straight into the
//! connection's write queue; the sender then waits on its own reply slot.
//! Nothing is allocated per message.

use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use thrust_core::message::msg_id::UniqKeyGenerator;

use crate::producer::{stamp, uniq_generator, Mode, Shared};
use crate::runner::RunClock;
use crate::schedule::{Schedule, Slot};
use crate::send_client::SendClient;
use crate::send_connection::Body;
use crate::send_connection::{Outcome, Reply};
use crate::send_template::MessageValues;
use crate::stats::{ERROR_BACKPRESSURE, ERROR_CONNECTION};

/// A oneway sender waits while its connection has more than this queued.
pub const ONEWAY_QUEUED_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Most waits of [`ONEWAY_WAIT`] for the write queue to drain per send.
const ONEWAY_WAITS_MAX: u32 = 100_000;
const ONEWAY_WAIT: Duration = Duration::from_micros(50);
/// Pause after a connection error, so a dead broker is not spun on.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// What changes from one send of a sender to the next.
struct SendPlan {
    queue: usize,
    /// When the send was meant to go (ns since the run's start).
    intended_ns: u64,
    /// When it really goes (ns since the run's start).
    send_ns: u64,
    key_seq: u64,
}

/// Runs sender `sender` until its count is sent or the deadline passes.
pub(crate) async fn run_sender(shared: Rc<Shared>, sender: usize) {
    let config = &shared.config;
    let clock = shared.clock;
    let deadline_ns = clock.deadline.map(|deadline| {
        let ns = deadline.saturating_duration_since(clock.start).as_nanos();
        u64::try_from(ns).unwrap_or(u64::MAX)
    });
    let mut schedule = config
        .rate_per_s
        .map(|rate| Schedule::new(rate, config.senders(), sender));
    let sends_max = config.sends_of(sender);
    let mut generator = uniq_generator(sender);
    let queues = config.templates.len();
    assert!(queues > 0, "no queues to send to");
    let local_connections = shared.clients.first().map_or(1, Vec::len).max(1);
    let connection = (sender / config.threads.max(1)) % local_connections;
    let reply = Rc::new(Reply::default());
    let mut sends: u64 = 0;
    loop {
        if sends_max.is_some_and(|max| sends >= max) {
            break;
        }
        let Some((slot, send_ns)) = next_slot(schedule.as_mut(), &clock, deadline_ns).await else {
            break;
        };
        // Queues round-robin from the sender's index. Keys k0, k1, ... are
        // unique over all senders: sender s writes k(s), k(s + senders), ...
        // so `query --keys N` finds each of them.
        let plan = SendPlan {
            queue: sender.wrapping_add(usize::try_from(sends).unwrap_or(0)) % queues,
            intended_ns: slot.intended_ns,
            send_ns,
            key_seq: sends * config.senders() as u64 + sender as u64,
        };
        let broker = shared.broker_of_queue.get(plan.queue).copied().unwrap_or(0);
        let Some(client) = shared.clients.get(broker).and_then(|c| c.get(connection)) else {
            break;
        };
        let outcome = send_one(&shared, client, &reply, &plan, &mut generator).await;
        let latency_us = slot.latency_us(clock.now_ns());
        if record(&shared, outcome, latency_us) {
            glommio::timer::sleep(ERROR_PAUSE).await;
        }
        sends += 1;
    }
}

/// The next send's slot and the time it really goes (ns since start),
/// after waiting for it on an open-loop schedule; `None` once the deadline
/// has passed. The clock is read once unless there is a wait.
async fn next_slot(
    schedule: Option<&mut Schedule>,
    clock: &RunClock,
    deadline_ns: Option<u64>,
) -> Option<(Slot, u64)> {
    let past_deadline = |now_ns: u64| deadline_ns.is_some_and(|d| now_ns >= d);
    let now_ns = clock.now_ns();
    if past_deadline(now_ns) {
        return None;
    }
    let Some(schedule) = schedule else {
        // Closed loop: the intended time is now.
        let slot = Slot {
            intended_ns: now_ns,
            wait_ns: 0,
        };
        return Some((slot, now_ns));
    };
    let slot = schedule.next(now_ns);
    if slot.wait_ns == 0 {
        return Some((slot, now_ns));
    }
    glommio::timer::sleep(Duration::from_nanos(slot.wait_ns)).await;
    let woke_ns = clock.now_ns();
    (!past_deadline(woke_ns)).then_some((slot, woke_ns))
}

/// Counts `outcome` in the stats; `true` when the sender should pause (the
/// connection failed).
fn record(shared: &Shared, outcome: Outcome, latency_us: u64) -> bool {
    let mut stats = shared.stats.borrow_mut();
    match outcome {
        Ok(0) => {
            let messages = shared.config.batch.max(1) as u64;
            let body_bytes = messages * shared.config.payload.len() as u64;
            stats.record_ok(latency_us, messages, body_bytes);
            false
        }
        Ok(code) => {
            stats.record_error(code);
            false
        }
        Err(code) => {
            stats.record_error(code);
            code == ERROR_CONNECTION
        }
    }
}

/// Makes one send as `plan` says and waits for its outcome (oneway: for
/// room in the write queue).
async fn send_one(
    shared: &Shared,
    client: &SendClient,
    reply: &Rc<Reply>,
    plan: &SendPlan,
    generator: &mut UniqKeyGenerator,
) -> Outcome {
    let (config, clock) = (&shared.config, &shared.clock);
    let Some(template) = config.templates.get(plan.queue) else {
        return Err(ERROR_CONNECTION);
    };
    let born_ms = i64::try_from(clock.unix_us(plan.send_ns) / 1_000).unwrap_or(0);
    let uniq_key = (config.batch <= 1).then(|| generator.next(born_ms));
    let values = MessageValues {
        opaque: 0,
        born_ms,
        key_seq: plan.key_seq,
        uniq_key: uniq_key.as_ref().map_or("", |key| key.as_str()),
    };
    let stamp_bytes;
    let (prefix, rest): (&[u8], &Bytes) = if config.batch > 1 {
        (&[], &shared.batch_body)
    } else if config.stamp {
        stamp_bytes = stamp(clock.unix_us(plan.intended_ns));
        (&stamp_bytes, &shared.stamped_rest)
    } else {
        (&[], &config.payload)
    };
    let body = Body { prefix, rest };
    let body_len = body.len();
    let encode_head = |opaque: i32, out: &mut BytesMut| {
        let values = MessageValues { opaque, ..values };
        template.encode_head(&values, body_len, out);
    };
    let connection = client.connection().await?;
    if config.mode == Mode::Oneway {
        connection.send_oneway(encode_head, body)?;
        for _ in 0..ONEWAY_WAITS_MAX {
            let queued = connection.queued_write_bytes();
            if queued <= ONEWAY_QUEUED_BYTES_MAX || connection.is_closed() {
                return Ok(0);
            }
            glommio::timer::sleep(ONEWAY_WAIT).await;
        }
        return Err(ERROR_BACKPRESSURE);
    }
    // No deadline for a timeout beyond what an Instant can hold.
    let deadline = clock
        .start
        .checked_add(Duration::from_nanos(plan.send_ns))
        .and_then(|sent| sent.checked_add(config.timeout));
    connection.request(reply, deadline, encode_head, body).await
}
