//! Crash-test child: opens a store under `<root>` with SYNC_FLUSH and
//! appends forever from several concurrent tasks, printing
//! `ACK <queue> <offset> <id>` for each acknowledged record (the body is
//! `thrust_storage::testkit`-style from the id, see `crash_body`). The
//! test kills it with SIGKILL at random moments and checks every printed
//! record after reopening.
//!
//! Usage: `storage-crash-child <root> <run>`.

use std::io::Write;
use std::rc::Rc;

use glommio::{LocalExecutorBuilder, Placement};
use thrust_storage::testkit::{
    crash_body, crash_config, encode_test_record, CRASH_QUEUES, CRASH_TOPIC,
};
use thrust_storage::{DmaBackend, Store};

const APPENDERS: u64 = 8;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(run)) = (args.next(), args.next()) else {
        eprintln!("usage: storage-crash-child <root> <run>");
        std::process::exit(2);
    };
    let Ok(run) = run.parse::<u64>() else {
        eprintln!("run must be a number");
        std::process::exit(2);
    };
    let handle = LocalExecutorBuilder::new(Placement::Unbound).spawn(move || async move {
        let config = crash_config(std::path::Path::new(&root));
        let store = match Store::open(config, Rc::new(DmaBackend)).await {
            Ok(store) => store,
            Err(error) => {
                eprintln!("open failed: {error}");
                std::process::exit(1);
            }
        };
        let background = store.clone();
        glommio::spawn_local(async move { background.run_background().await }).detach();
        let mut tasks = Vec::new();
        for appender in 0..APPENDERS {
            let store = store.clone();
            tasks.push(glommio::spawn_local(async move {
                append_forever(store, run, appender).await
            }));
        }
        for task in tasks {
            task.await;
        }
    });
    match handle.map(|handle| handle.join()) {
        Ok(Ok(())) => {}
        _ => std::process::exit(1),
    }
}

async fn append_forever(store: Store, run: u64, appender: u64) {
    let queue_id = (appender % CRASH_QUEUES as u64) as i32;
    for counter in 0u64.. {
        let id = run * 100_000_000 + appender * 10_000_000 + counter;
        let record = encode_test_record(CRASH_TOPIC, queue_id, &crash_body(id), None);
        match store.append(CRASH_TOPIC, queue_id, &record, true).await {
            Ok(result) => {
                let mut out = std::io::stdout().lock();
                let printed = writeln!(out, "ACK {queue_id} {} {id}", result.first_queue_offset)
                    .and_then(|()| out.flush());
                if printed.is_err() {
                    std::process::exit(0);
                }
            }
            Err(error) => {
                eprintln!("append failed: {error}");
                std::process::exit(1);
            }
        }
    }
}
