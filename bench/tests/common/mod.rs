//! Shared set-up of the integration tests: a real `thrust-namesrv` and
//! `thrust-broker` on free loopback ports with a fresh store, and a way to
//! run `thrust-bench` with `--json`. The server binaries are looked up next
//! to `thrust-bench` in the same target directory; they exist when the
//! workspace is built (`cargo test --workspace`, or a prior `cargo build`).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process killed on drop.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A name server and a broker, and the store directory (removed on drop).
pub struct Cluster {
    pub namesrv_addr: String,
    _broker: Server,
    _namesrv: Server,
    store: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

pub fn bench_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_thrust-bench"))
}

fn sibling(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_thrust-bench")).with_file_name(name)
}

/// A free port `p` such that `p - 2` (the broker's VIP port) and `p + 1`
/// (HA) are free too.
fn free_broker_port() -> u16 {
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0);
        if !(1026..=65_000).contains(&port) {
            continue;
        }
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port - 2) && free(port + 1) {
            return port;
        }
    }
    panic!("no free port triple found");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("ephemeral port")
}

/// Starts the cluster, or returns the reason it cannot (binaries missing).
/// Under CI (`CI` set) a missing binary is a failure, not a skip.
pub fn start(name: &str) -> Result<Cluster, String> {
    let result = start_inner(name);
    if let Err(reason) = &result {
        assert!(std::env::var_os("CI").is_none(), "under CI: {reason}");
    }
    result
}

fn start_inner(name: &str) -> Result<Cluster, String> {
    let (namesrv_bin, broker_bin) = (sibling("thrust-namesrv"), sibling("thrust-broker"));
    for bin in [&namesrv_bin, &broker_bin] {
        if !bin.exists() {
            return Err(format!(
                "{} is missing: build the workspace first (cargo test --workspace)",
                bin.display()
            ));
        }
    }
    let store = std::env::temp_dir().join(format!("thrust-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    std::fs::create_dir_all(&store).expect("store dir");
    let ns_port = free_port();
    let namesrv = Command::new(&namesrv_bin)
        .args(["-p", &ns_port.to_string(), "--listen-addr", "127.0.0.1"])
        .arg("--kv-config-path")
        .arg(store.join("kv.json"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn thrust-namesrv");
    let namesrv = Server(namesrv);
    let namesrv_addr = format!("127.0.0.1:{ns_port}");
    let broker_port = free_broker_port();
    let broker = Command::new(&broker_bin)
        .args([
            "-n",
            &namesrv_addr,
            "--listen-port",
            &broker_port.to_string(),
        ])
        .args(["--shards", "2", "--unbound"])
        .arg("--store-path")
        .arg(store.join("broker"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn thrust-broker");
    let cluster = Cluster {
        namesrv_addr,
        _broker: Server(broker),
        _namesrv: namesrv,
        store,
    };
    wait_ready(&cluster)?;
    Ok(cluster)
}

/// Waits (bounded) until one message to a probe topic is acknowledged.
fn wait_ready(cluster: &Cluster) -> Result<(), String> {
    for _ in 0..150 {
        let args = ["produce", "-t", "ReadyProbe", "--create-topic", "-c", "1"];
        if let Ok(report) = run_bench(cluster, &args) {
            if report["produce"]["messages"] == 1 {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the broker accepted no send within 15 s".to_owned())
}

/// Runs `thrust-bench ARGS -n NAMESRV --json -q` and parses its report.
pub fn run_bench(cluster: &Cluster, args: &[&str]) -> Result<serde_json::Value, String> {
    let output = Command::new(bench_bin())
        .args(args)
        .args([
            "-n",
            &cluster.namesrv_addr,
            "--json",
            "-q",
            "--timeout-ms",
            "5000",
        ])
        .output()
        .map_err(|err| err.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "thrust-bench {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|err| {
        format!(
            "bad JSON ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Consumes `count` messages of `topic` from the first offset with
/// `thrust-bench consume` (long polls of 1 s, at most 60 s) and returns
/// its report.
pub fn consume_from_first(
    cluster: &Cluster,
    topic: &str,
    count: u64,
) -> Result<serde_json::Value, String> {
    let count = count.to_string();
    run_bench(
        cluster,
        &[
            "consume",
            "-t",
            topic,
            "-c",
            &count,
            "--from",
            "first",
            "--duration",
            "60",
            "--warmup",
            "0",
            "--suspend-ms",
            "1000",
        ],
    )
}
