//! The final report (text for people, `--json` for machines) and the
//! once-a-second progress line.
//!
//! JSON shape (one object on stdout):
//! `{"command", "params": {..}, "machine": {"cpus", "kernel"},
//!   "produce"?: SECTION, "consume"?: SECTION, "query"?: SECTION}` where
//! SECTION is (for "query", "messages" counts lookups that found messages
//! and "body_bytes" the bytes of the records they returned)
//! `{"messages", "body_bytes", "elapsed_s", "msgs_per_s", "mb_per_s",
//!   "latency_us": {"samples","p50","p90","p99","p999","p9999","max","mean"},
//!   "errors_total", "errors": {"NAME(code)": count}}`.
//! MB is 10^6 bytes of message bodies (protocol overhead not counted).

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::runner::Stream;
use crate::stats::{error_name, Stats};

const BYTES_PER_MB: f64 = 1_000_000.0;

/// One progress fragment: interval rate and MB/s, p99 of the measured
/// window so far, errors in the interval.
pub fn progress_line(stream: Stream, interval: &Stats, total: &Stats, since: Duration) -> String {
    let seconds = since.as_secs_f64().max(1e-9);
    let name = match stream {
        Stream::Produce => "send",
        Stream::Consume => "recv",
    };
    format!(
        "{name} {:>9.0} msg/s {:>8.1} MB/s p99 {:>8} us errors {}",
        interval.messages as f64 / seconds,
        interval.body_bytes as f64 / BYTES_PER_MB / seconds,
        total.summary().p99_us,
        interval.errors_total(),
    )
}

/// The JSON section of one stream.
pub fn section(stats: &Stats, elapsed: Duration) -> Value {
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let s = stats.summary();
    let errors: Map<String, Value> = stats
        .errors
        .iter()
        .map(|(code, count)| (error_name(*code), json!(count)))
        .collect();
    json!({
        "messages": stats.messages,
        "body_bytes": stats.body_bytes,
        "elapsed_s": seconds,
        "msgs_per_s": stats.messages as f64 / seconds,
        "mb_per_s": stats.body_bytes as f64 / BYTES_PER_MB / seconds,
        "latency_us": {
            "samples": s.samples,
            "p50": s.p50_us,
            "p90": s.p90_us,
            "p99": s.p99_us,
            "p999": s.p999_us,
            "p9999": s.p9999_us,
            "max": s.max_us,
            "mean": s.mean_us,
        },
        "errors_total": stats.errors_total(),
        "errors": errors,
    })
}

/// Cores and kernel of this machine, for the report.
pub fn machine() -> Value {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    json!({ "cpus": cpus, "kernel": kernel })
}

/// The text form of one section.
pub fn text_section(title: &str, latency_title: &str, section: &Value) -> String {
    let num = |path: &[&str]| {
        let mut value = section;
        for key in path {
            value = &value[*key];
        }
        value.as_f64().unwrap_or(0.0)
    };
    let mut out = format!(
        "{title}: {:.0} messages in {:.2} s = {:.0} msg/s, {:.1} MB/s\n",
        num(&["messages"]),
        num(&["elapsed_s"]),
        num(&["msgs_per_s"]),
        num(&["mb_per_s"]),
    );
    out.push_str(&format!(
        "  {latency_title} us: p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  p99.99 {:.0}  \
         max {:.0}  mean {:.1}\n",
        num(&["latency_us", "p50"]),
        num(&["latency_us", "p90"]),
        num(&["latency_us", "p99"]),
        num(&["latency_us", "p999"]),
        num(&["latency_us", "p9999"]),
        num(&["latency_us", "max"]),
        num(&["latency_us", "mean"]),
    ));
    out.push_str(&format!("  errors: {:.0}", num(&["errors_total"])));
    if let Some(errors) = section["errors"].as_object() {
        for (name, count) in errors {
            out.push_str(&format!("  {name}={count}"));
        }
    }
    out.push('\n');
    out
}

/// The whole report as text.
pub fn text(report: &Value) -> String {
    let mut out = String::new();
    if report.get("produce").is_some() {
        out.push_str(&text_section("produce", "send latency", &report["produce"]));
    }
    if report.get("consume").is_some() {
        out.push_str(&text_section(
            "consume",
            "end-to-end latency",
            &report["consume"],
        ));
    }
    if report.get("query").is_some() {
        // "messages" of a query section are lookups that found something.
        out.push_str(&text_section(
            "query (lookups)",
            "lookup latency",
            &report["query"],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_reports_rates_over_the_elapsed_time() {
        let mut stats = Stats::new();
        for us in 1..=100 {
            stats.record_ok(us, 10, 10_000);
        }
        stats.record_error(2);
        let value = section(&stats, Duration::from_secs(2));
        assert_eq!(value["messages"], 1_000);
        assert_eq!(value["msgs_per_s"], 500.0);
        assert_eq!(value["mb_per_s"], 0.5);
        assert_eq!(value["latency_us"]["max"], 100);
        assert_eq!(value["errors"]["SYSTEM_BUSY(2)"], 1);
        let text = text_section("produce", "latency", &value);
        assert!(text.contains("500 msg/s"), "{text}");
        assert!(text.contains("SYSTEM_BUSY(2)=1"), "{text}");
    }
}
