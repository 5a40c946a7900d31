//! Counters and HDR latency histograms of one stream (produce or consume).
//!
//! Each worker thread owns its own [`Stats`] (in an `Rc<RefCell<_>>`, never
//! shared across threads) and hands interval snapshots to the main thread
//! once a second with [`Stats::take`]; the main thread merges them with
//! [`Stats::merge`]. So the per-message path touches no lock and no atomic.
//!
//! Latencies are recorded in microseconds. Values above
//! [`LATENCY_US_MAX`] are clamped to it (and so show up as the max), never
//! dropped, so a stall cannot vanish from the report.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use thrust_core::code::ResponseCode;

/// Highest latency the histograms track: one hour.
pub const LATENCY_US_MAX: u64 = 3_600_000_000;
/// Significant decimal digits kept by the histograms (0.1 % resolution).
pub const LATENCY_SIGNIFICANT_DIGITS: u8 = 3;

/// Pseudo response code: a request that got no response in time.
pub const ERROR_TIMEOUT: i32 = -1;
/// Pseudo response code: connect failure, closed connection or socket error.
pub const ERROR_CONNECTION: i32 = -2;
/// Pseudo response code: the client refused to queue more (write queue full,
/// too many pending requests).
pub const ERROR_BACKPRESSURE: i32 = -3;
/// Pseudo response code: a pull body whose records did not decode.
pub const ERROR_DECODE: i32 = -4;

/// The name of a response or pseudo code, as reports show it.
pub fn error_name(code: i32) -> String {
    match code {
        ERROR_TIMEOUT => "TIMEOUT".to_owned(),
        ERROR_CONNECTION => "CONNECTION".to_owned(),
        ERROR_BACKPRESSURE => "CLIENT_BACKPRESSURE".to_owned(),
        ERROR_DECODE => "DECODE".to_owned(),
        other => match ResponseCode(other).name() {
            Some(name) => format!("{name}({other})"),
            None => format!("CODE({other})"),
        },
    }
}

/// A fresh latency histogram with the bench's bounds.
pub fn new_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (1 ≤ low, high ≥
    // 2·low, 0..=5 digits), so this cannot fail.
    Histogram::new_with_bounds(1, LATENCY_US_MAX, LATENCY_SIGNIFICANT_DIGITS)
        .unwrap_or_else(|err| panic!("histogram bounds rejected: {err}"))
}

/// Counters and a latency histogram for one stream over some interval.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Latency of each successful operation, µs.
    pub latency_us: Histogram<u64>,
    /// Messages acknowledged (produce) or received (consume).
    pub messages: u64,
    /// Message body bytes of those messages.
    pub body_bytes: u64,
    /// Failed operations by response code (or pseudo code, negative).
    pub errors: BTreeMap<i32, u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Empty stats.
    pub fn new() -> Self {
        Stats {
            latency_us: new_histogram(),
            messages: 0,
            body_bytes: 0,
            errors: BTreeMap::new(),
        }
    }

    /// Records one latency sample (clamped to 1..=[`LATENCY_US_MAX`]).
    pub fn record_latency_us(&mut self, latency_us: u64) {
        let value = latency_us.clamp(1, LATENCY_US_MAX);
        // In bounds by the clamp above, so recording cannot fail.
        let recorded = self.latency_us.record(value);
        debug_assert!(recorded.is_ok());
    }

    /// Records a success: one latency sample for `messages` messages of
    /// `body_bytes` bytes in all (a batch is one sample).
    pub fn record_ok(&mut self, latency_us: u64, messages: u64, body_bytes: u64) {
        self.record_latency_us(latency_us);
        self.messages += messages;
        self.body_bytes += body_bytes;
    }

    /// Records one failed operation.
    pub fn record_error(&mut self, code: i32) {
        *self.errors.entry(code).or_insert(0) += 1;
    }

    /// All failed operations.
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        // Both histograms have the bench's bounds, so adding cannot fail.
        let added = self.latency_us.add(&other.latency_us);
        debug_assert!(added.is_ok());
        self.messages += other.messages;
        self.body_bytes += other.body_bytes;
        for (code, count) in &other.errors {
            *self.errors.entry(*code).or_insert(0) += count;
        }
    }

    /// Returns what was gathered so far and starts a new interval.
    pub fn take(&mut self) -> Stats {
        std::mem::take(self)
    }

    /// The latency percentiles of everything recorded.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary::of(&self.latency_us)
    }
}

/// Latency percentiles in µs (0 when nothing was recorded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Samples recorded.
    pub samples: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub p9999_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

impl LatencySummary {
    /// Percentiles of `histogram`.
    pub fn of(histogram: &Histogram<u64>) -> LatencySummary {
        if histogram.is_empty() {
            return LatencySummary {
                samples: 0,
                p50_us: 0,
                p90_us: 0,
                p99_us: 0,
                p999_us: 0,
                p9999_us: 0,
                max_us: 0,
                mean_us: 0.0,
            };
        }
        LatencySummary {
            samples: histogram.len(),
            p50_us: histogram.value_at_quantile(0.5),
            p90_us: histogram.value_at_quantile(0.9),
            p99_us: histogram.value_at_quantile(0.99),
            p999_us: histogram.value_at_quantile(0.999),
            p9999_us: histogram.value_at_quantile(0.9999),
            max_us: histogram.max(),
            mean_us: histogram.mean(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// True when `got` is within hdrhistogram's 0.1 % resolution of `want`.
    fn close(got: u64, want: u64) -> bool {
        let tolerance = (want / 1000).max(1);
        got.abs_diff(want) <= tolerance
    }

    #[test]
    fn percentiles_of_uniform_one_to_ten_thousand_are_exact_to_resolution() {
        let mut stats = Stats::new();
        for us in 1..=10_000 {
            stats.record_ok(us, 1, 100);
        }
        let s = stats.summary();
        assert_eq!(s.samples, 10_000);
        assert!(close(s.p50_us, 5_000), "p50 {}", s.p50_us);
        assert!(close(s.p90_us, 9_000), "p90 {}", s.p90_us);
        assert!(close(s.p99_us, 9_900), "p99 {}", s.p99_us);
        assert!(close(s.p999_us, 9_990), "p99.9 {}", s.p999_us);
        assert!(close(s.p9999_us, 9_999), "p99.99 {}", s.p9999_us);
        assert!(close(s.max_us, 10_000), "max {}", s.max_us);
        assert!((s.mean_us - 5_000.5).abs() < 10.0, "mean {}", s.mean_us);
        assert_eq!(stats.messages, 10_000);
        assert_eq!(stats.body_bytes, 1_000_000);
    }

    #[test]
    fn one_outlier_in_ten_thousand_shows_at_p9999_and_max_only() {
        let mut stats = Stats::new();
        for _ in 0..9_999 {
            stats.record_latency_us(100);
        }
        stats.record_latency_us(1_000_000);
        let s = stats.summary();
        assert!(close(s.p50_us, 100));
        assert!(close(s.p99_us, 100));
        assert!(close(s.p999_us, 100));
        assert!(close(s.max_us, 1_000_000), "max {}", s.max_us);
    }

    #[test]
    fn latency_beyond_the_bound_is_clamped_not_dropped() {
        let mut stats = Stats::new();
        stats.record_latency_us(u64::MAX);
        stats.record_latency_us(0);
        let s = stats.summary();
        assert_eq!(s.samples, 2);
        assert!(close(s.max_us, LATENCY_US_MAX));
    }

    #[test]
    fn merged_intervals_equal_one_recording() {
        let mut whole = Stats::new();
        let mut interval = Stats::new();
        let mut total = Stats::new();
        for us in 1..=1_000 {
            whole.record_ok(us, 1, 10);
            interval.record_ok(us, 1, 10);
            if us % 100 == 0 {
                interval.record_error(ERROR_TIMEOUT);
                total.merge(&interval.take());
            }
        }
        assert_eq!(interval.messages, 0);
        assert_eq!(total.messages, whole.messages);
        assert_eq!(total.summary(), whole.summary());
        assert_eq!(total.errors.get(&ERROR_TIMEOUT), Some(&10));
        assert_eq!(total.errors_total(), 10);
    }

    #[test]
    fn empty_stats_summarise_to_zeros() {
        let s = Stats::new().summary();
        assert_eq!(s.samples, 0);
        assert_eq!(s.max_us, 0);
    }

    #[test]
    fn error_names_show_code_names_and_pseudo_codes() {
        assert_eq!(error_name(ERROR_TIMEOUT), "TIMEOUT");
        assert_eq!(error_name(2), "SYSTEM_BUSY(2)");
        assert_eq!(error_name(99_999), "CODE(99999)");
    }
}
