//! The Rust client of the Thrust interop suite (issue 6, scenario 10): the
//! community crate `rocketmq-client-rust` 1.0.0 against a running Thrust name
//! server and broker. Prints one `PASS rust <scenario>` or
//! `FAIL rust <scenario>  # reason` line per scenario and appends it to
//! `-results FILE`. Exits 0 when the scenarios ran, whatever their verdicts
//! (the runner counts the lines); 2 when it could not run at all.
//!
//!     thrust-interop-rust -namesrv 127.0.0.1:9876 -broker 127.0.0.1:10911 -results FILE
#![forbid(unsafe_code)]
// The client crate's futures are deeply nested types.
#![recursion_limit = "512"]

mod args;
mod client_runtime;
mod consume;
mod produce;
mod report;
mod scenario_error;
mod scenarios;

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;

use crate::args::Args;
use crate::client_runtime::ClientHost;
use crate::report::report;
use crate::report::result_line;
use crate::scenario_error::ScenarioError;
use crate::scenario_error::WAIT_MAX;
use crate::scenarios::Scenarios;

/// Runs one scenario under an overall bound of two waits and reports its verdict.
async fn run<T, F>(results: Option<&Path>, scenario: &str, body: F) -> Option<T>
where
    F: Future<Output = Result<T, ScenarioError>>,
{
    let outcome = match tokio::time::timeout(WAIT_MAX * 2, body).await {
        Ok(outcome) => outcome,
        Err(_) => Err(ScenarioError::Timeout {
            what: "scenario".to_string(),
            limit_s: (WAIT_MAX * 2).as_secs(),
        }),
    };
    match outcome {
        Ok(value) => {
            report(results, &result_line(scenario, None));
            Some(value)
        }
        Err(error) => {
            report(results, &result_line(scenario, Some(&error.to_string())));
            None
        }
    }
}

async fn run_all(scenarios: &Scenarios, results: Option<&Path>) {
    let sent = run(results, "send_sync", scenarios.send_sync()).await;
    match &sent {
        Some(sent) => {
            run(results, "push_clustering", scenarios.push_clustering(sent)).await;
        }
        None => report(
            results,
            &result_line(
                "push_clustering",
                Some("nothing to consume: send_sync failed"),
            ),
        ),
    }
    run(results, "send_batch", scenarios.send_batch()).await;
    run(results, "send_orderly", scenarios.send_orderly()).await;
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let host = match ClientHost::new() {
        Ok(host) => host,
        Err(error) => {
            eprintln!("cannot set up the client runtime: {error}");
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "rocketmq-client-rust 1.0.0 against namesrv {} (broker {})",
        args.namesrv, args.broker
    );
    let scenarios = Scenarios::new(host.client_runtime(), args.namesrv.clone());
    host.block_on(run_all(&scenarios, args.results.as_deref()));
    drop(scenarios);
    host.shutdown();
    ExitCode::SUCCESS
}
