//! The open-loop send schedule: intended send times on a fixed grid.
//!
//! With a target rate, the total rate is split evenly over all senders.
//! Sender `s` of `n` at total rate `r` sends its `k`-th message at
//! `start + offset + k · period` with `period = n / r` and its offset
//! `s / r`, so the senders' grids interleave into one even stream.
//!
//! Latency is measured from the *intended* time, not from the moment the
//! send really went out. When the broker stalls, a sender falls behind; it
//! then sends the overdue messages at once, one after another, and each of
//! them carries the time it waited behind the stall. That is what avoids
//! coordinated omission: a closed-loop tool would have sent less during the
//! stall and so recorded fewer bad samples.
//!
//! Times are nanoseconds since the run's start (`u64`), so the logic is
//! testable without a clock.

/// The intended send times of one sender.
#[derive(Debug, Clone)]
pub struct Schedule {
    period_ns: u64,
    offset_ns: u64,
    next_index: u64,
}

impl Schedule {
    /// Sender `sender` of `senders` sharing `rate_per_s` messages per second.
    pub fn new(rate_per_s: f64, senders: usize, sender: usize) -> Schedule {
        assert!(rate_per_s > 0.0, "rate {rate_per_s} must be positive");
        assert!(senders > 0);
        assert!(sender < senders, "sender {sender} of {senders}");
        let gap_ns = 1e9 / rate_per_s; // between two sends of the whole stream
        let period_ns = (gap_ns * senders as f64).round().max(1.0) as u64;
        let offset_ns = (gap_ns * sender as f64).round() as u64;
        Schedule {
            period_ns,
            offset_ns,
            next_index: 0,
        }
    }

    /// The intended time of the `index`-th send, ns since start.
    pub fn intended_ns(&self, index: u64) -> u64 {
        self.offset_ns
            .saturating_add(index.saturating_mul(self.period_ns))
    }

    /// Takes the next send slot: its intended time (ns since start) and how
    /// long to wait from `now_ns` before sending (0 when due or overdue).
    pub fn next(&mut self, now_ns: u64) -> Slot {
        let intended_ns = self.intended_ns(self.next_index);
        self.next_index += 1;
        Slot {
            intended_ns,
            wait_ns: intended_ns.saturating_sub(now_ns),
        }
    }
}

/// One scheduled send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// When the send should happen, ns since start.
    pub intended_ns: u64,
    /// How long to sleep first, ns (0 if due or late).
    pub wait_ns: u64,
}

impl Slot {
    /// Latency of a send that completed at `done_ns`, counted from the
    /// intended time (so time spent behind a stall is included), µs.
    pub fn latency_us(&self, done_ns: u64) -> u64 {
        done_ns.saturating_sub(self.intended_ns) / 1_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sender_sends_on_an_even_grid() {
        let mut s = Schedule::new(1_000.0, 1, 0);
        assert_eq!(s.intended_ns(1) - s.intended_ns(0), 1_000_000);
        let times: Vec<u64> = (0..4).map(|_| s.next(0).intended_ns).collect();
        assert_eq!(times, [0, 1_000_000, 2_000_000, 3_000_000]);
    }

    #[test]
    fn senders_interleave_into_one_stream_at_the_total_rate() {
        let mut all: Vec<u64> = Vec::new();
        for sender in 0..4 {
            let mut s = Schedule::new(1_000.0, 4, sender);
            all.extend((0..3).map(|_| s.next(0).intended_ns));
        }
        all.sort_unstable();
        let expected: Vec<u64> = (0..12).map(|k| k * 1_000_000).collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn a_sender_ahead_of_schedule_waits_until_the_intended_time() {
        let mut s = Schedule::new(100.0, 1, 0);
        let first = s.next(0);
        assert_eq!(first.wait_ns, 0);
        let second = s.next(2_000_000);
        assert_eq!(second.intended_ns, 10_000_000);
        assert_eq!(second.wait_ns, 8_000_000);
    }

    #[test]
    fn after_a_stall_overdue_sends_go_at_once_and_count_from_intended_time() {
        // 1000/s; the broker stalls so the first send completes at 50 ms.
        let mut s = Schedule::new(1_000.0, 1, 0);
        let first = s.next(0);
        let stall_end_ns = 50_000_000;
        assert_eq!(first.latency_us(stall_end_ns), 50_000);
        // The 49 sends that fell due during the stall are sent at once, no
        // wait, and each one's latency includes the time it was overdue.
        let mut now_ns = stall_end_ns;
        for k in 1..50u64 {
            let slot = s.next(now_ns);
            assert_eq!(slot.intended_ns, k * 1_000_000);
            assert_eq!(slot.wait_ns, 0, "slot {k} is overdue");
            // Each catch-up send takes 10 µs once the broker is back.
            now_ns += 10_000;
            assert_eq!(slot.latency_us(now_ns), (now_ns - k * 1_000_000) / 1_000);
        }
        // The sender has caught up by now (50 ms + 490 µs < 50 ms + ...):
        // the next slot is in the future again, it waits.
        let caught_up = s.next(now_ns);
        assert_eq!(caught_up.intended_ns, 50_000_000);
        assert_eq!(caught_up.wait_ns, 0);
        let ahead = s.next(now_ns);
        assert_eq!(ahead.intended_ns, 51_000_000);
        assert_eq!(ahead.wait_ns, 51_000_000 - now_ns);
    }

    #[test]
    fn latency_before_the_intended_time_is_zero_not_negative() {
        let slot = Slot {
            intended_ns: 5_000,
            wait_ns: 0,
        };
        assert_eq!(slot.latency_us(1_000), 0);
    }
}
