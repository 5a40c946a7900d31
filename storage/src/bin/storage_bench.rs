//! Storage benchmark: append throughput (ASYNC_FLUSH) or acknowledgement
//! latency (SYNC_FLUSH, N concurrent appenders) of one shard's store on
//! real O_DIRECT files. Prints one JSON line. Records are encoded before
//! timing starts. Driven by scripts/bench-storage.sh.
//!
//! Usage: `storage-bench <dir> <async|sync> <record_bytes> <appenders> <seconds>`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};
use hdrhistogram::Histogram;
use thrust_storage::testkit::encode_test_record;
use thrust_storage::{DmaBackend, FlushDiskType, ShardId, Store, StoreConfig};

const TOPIC: &str = "BenchTopic";
const QUEUES: i32 = 8;

struct Args {
    dir: String,
    sync: bool,
    record_bytes: usize,
    appenders: usize,
    seconds: u64,
}

fn parse_args() -> Option<Args> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, mode, record_bytes, appenders, seconds] = args.as_slice() else {
        return None;
    };
    Some(Args {
        dir: dir.clone(),
        sync: match mode.as_str() {
            "sync" => true,
            "async" => false,
            _ => return None,
        },
        record_bytes: record_bytes.parse().ok()?,
        appenders: appenders.parse().ok()?,
        seconds: seconds.parse().ok()?,
    })
}

fn main() {
    let Some(args) = parse_args() else {
        eprintln!("usage: storage-bench <dir> <async|sync> <record_bytes> <appenders> <seconds>");
        std::process::exit(2);
    };
    let handle = LocalExecutorBuilder::new(Placement::Unbound).spawn(move || async move {
        run(args).await;
    });
    if handle.map(|handle| handle.join()).is_err() {
        std::process::exit(1);
    }
}

/// A record of `record_bytes` total size for queue `queue_id`.
fn make_record(queue_id: i32, record_bytes: usize) -> Vec<u8> {
    let empty = encode_test_record(TOPIC, queue_id, b"", None).len();
    let body = vec![b'b'; record_bytes.saturating_sub(empty)];
    encode_test_record(TOPIC, queue_id, &body, None)
}

async fn run(args: Args) {
    let mut config = StoreConfig::new(&args.dir, ShardId(0));
    config.flush_disk_type = if args.sync {
        FlushDiskType::SyncFlush
    } else {
        FlushDiskType::AsyncFlush
    };
    let store = Store::open(config, Rc::new(DmaBackend))
        .await
        .expect("open store");
    let background = store.clone();
    glommio::spawn_local(async move { background.run_background().await }).detach();
    let records: Vec<Rc<Vec<u8>>> = (0..QUEUES)
        .map(|queue| Rc::new(make_record(queue, args.record_bytes)))
        .collect();
    let histogram = Rc::new(RefCell::new(Histogram::<u64>::new(3).expect("histogram")));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let start_position = store.append_position();
    let mut tasks = Vec::new();
    for appender in 0..args.appenders {
        let store = store.clone();
        let queue = appender % QUEUES as usize;
        let record = Rc::clone(&records[queue]);
        let histogram = Rc::clone(&histogram);
        tasks.push(glommio::spawn_local(async move {
            let mut count = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                store
                    .append(TOPIC, queue as i32, &record, true)
                    .await
                    .expect("append");
                let latency_us = sent.elapsed().as_micros() as u64;
                histogram
                    .borrow_mut()
                    .record(latency_us.max(1))
                    .expect("record");
                count += 1;
            }
            count
        }));
    }
    let mut records_total = 0;
    for task in tasks {
        records_total += task.await;
    }
    store.flush().await.expect("final flush");
    let elapsed = started.elapsed().as_secs_f64();
    let bytes = store.append_position() - start_position;
    let (p50_us, p99_us, p999_us) = {
        let histogram = histogram.borrow();
        let quantile = |q| histogram.value_at_quantile(q);
        (quantile(0.5), quantile(0.99), quantile(0.999))
    };
    println!(
        "{{\"mode\":\"{}\",\"record_bytes\":{},\"appenders\":{},\"records\":{},\"seconds\":{:.3},\
         \"mib_per_s\":{:.1},\"records_per_s\":{:.0},\"p50_us\":{},\"p99_us\":{},\"p999_us\":{}}}",
        if args.sync { "sync" } else { "async" },
        args.record_bytes,
        args.appenders,
        records_total,
        elapsed,
        bytes as f64 / elapsed / (1 << 20) as f64,
        records_total as f64 / elapsed,
        p50_us,
        p99_us,
        p999_us,
    );
    store.close().await.expect("close");
    // Let the background task see the close before the executor ends (a
    // blocking-pool call still in flight would otherwise lose its reply).
    glommio::timer::sleep(Duration::from_millis(1100)).await;
}
