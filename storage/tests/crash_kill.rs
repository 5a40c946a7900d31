//! Real-process crash test: a child process appends with SYNC_FLUSH and
//! prints each acknowledged record; we SIGKILL it at random moments (at
//! least 20 times, the store reused across runs), reopen the store after
//! each kill and find every record ever acknowledged intact, at its queue
//! offset, byte for byte in its body. The kill seed is printed; replay
//! with `THRUST_CRASH_SEED`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};
use thrust_storage::sim_rng::SimRng;
use thrust_storage::testkit::{crash_body, crash_config, CRASH_QUEUES, CRASH_TOPIC};
use thrust_storage::{DmaBackend, GetMessageStatus, Store};

const KILLS: u64 = 20;
const RUN_WAIT_MAX: Duration = Duration::from_secs(20);

/// (queue, offset, id) of every acknowledged record.
type Acks = Vec<(i32, i64, u64)>;

fn run_child_until_killed(root: &std::path::Path, run: u64, acks_wanted: u64, acks: &mut Acks) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storage-crash-child"))
        .arg(root)
        .arg(run.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let mut seen = 0;
    while seen < acks_wanted && started.elapsed() < RUN_WAIT_MAX {
        let Some(Ok(line)) = lines.next() else { break };
        acks.push(parse_ack(&line));
        seen += 1;
    }
    child.kill().expect("SIGKILL");
    // Lines printed before the kill are still in the pipe: they were acked.
    for line in lines.map_while(Result::ok) {
        acks.push(parse_ack(&line));
    }
    let status = child.wait().expect("wait");
    assert!(!status.success(), "child was expected to die by SIGKILL");
}

fn parse_ack(line: &str) -> (i32, i64, u64) {
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(parts.len(), 4, "bad ack line {line:?}");
    assert_eq!(parts[0], "ACK");
    (
        parts[1].parse().unwrap(),
        parts[2].parse().unwrap(),
        parts[3].parse().unwrap(),
    )
}

fn verify(root: &std::path::Path, acks: &Acks) {
    let root = root.to_path_buf();
    let acks = acks.clone();
    LocalExecutorBuilder::new(Placement::Unbound)
        .spawn(move || async move {
            let store = Store::open(crash_config(&root), Rc::new(DmaBackend))
                .await
                .expect("reopen");
            let mut expected: BTreeMap<(i32, i64), u64> = BTreeMap::new();
            for (queue_id, offset, id) in &acks {
                let previous = expected.insert((*queue_id, *offset), *id);
                assert!(
                    previous.is_none(),
                    "offset {queue_id}@{offset} acknowledged twice"
                );
            }
            for queue_id in 0..CRASH_QUEUES {
                let wanted: Vec<(i64, u64)> = expected
                    .range((queue_id, i64::MIN)..=(queue_id, i64::MAX))
                    .map(|((_, offset), id)| (*offset, *id))
                    .collect();
                check_queue(&store, queue_id, &wanted).await;
            }
        })
        .expect("executor")
        .join()
        .expect("verification");
}

/// Reads the queue from its first acknowledged offset to the last in
/// batches and checks every acknowledged record.
async fn check_queue(store: &Store, queue_id: i32, wanted: &[(i64, u64)]) {
    let (Some(first), Some(last)) = (wanted.first(), wanted.last()) else {
        return;
    };
    let max = store.max_offset(CRASH_TOPIC, queue_id);
    assert!(
        max > last.0,
        "queue {queue_id}: max {max} but offset {} was acked",
        last.0
    );
    let mut found = BTreeMap::new();
    let mut offset = first.0;
    while offset <= last.0 {
        let result = store
            .get_messages(CRASH_TOPIC, queue_id, offset, 256, 8 << 20, |_| true)
            .await
            .expect("read");
        assert_eq!(
            result.status,
            GetMessageStatus::Found,
            "queue {queue_id}@{offset}"
        );
        for record in &result.records {
            let view = thrust_core::message::RecordView::parse(record).expect("parse");
            view.verify_body_crc().expect("crc");
            found.insert(view.queue_offset(), view.body().to_vec());
        }
        offset = result.next_begin_offset;
    }
    for (offset, id) in wanted {
        let body = found
            .get(offset)
            .unwrap_or_else(|| panic!("acked {queue_id}@{offset} missing"));
        assert_eq!(
            &body[..],
            &crash_body(*id)[..],
            "acked record {queue_id}@{offset} differs"
        );
    }
}

#[test]
fn every_acknowledged_record_survives_sigkill() {
    let seed = std::env::var("THRUST_CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map(|elapsed| elapsed.as_nanos() as u64).unwrap_or(1)
        });
    eprintln!("crash test seed {seed} (replay with THRUST_CRASH_SEED={seed})");
    let mut rng = SimRng::new(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut acks = Acks::new();
    for run in 0..KILLS {
        let wanted = 1 + rng.below(400);
        let before = acks.len();
        run_child_until_killed(dir.path(), run, wanted, &mut acks);
        assert!(acks.len() > before, "run {run} acknowledged nothing");
        verify(dir.path(), &acks);
    }
    let mut unique = acks.iter().map(|(q, o, _)| (*q, *o)).collect::<Vec<_>>();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), acks.len(), "an offset was acknowledged twice");
    eprintln!(
        "{} acknowledged records verified over {KILLS} kills",
        acks.len()
    );
}
