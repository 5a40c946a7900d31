//! Route-query benchmark (not a test): starts the real `thrust-namesrv`
//! (release build under `cargo bench`) on a free loopback port, registers
//! one broker with `--topics` topics, then opens `--connections`
//! connections from one glommio executor, each keeping `--depth` route
//! queries in flight, for `--seconds` after a one-second warm-up. Prints
//! one JSON line: parameters, queries/s, the server's CPU seconds over the
//! measured window (and queries per server CPU second, which stays
//! meaningful on a shared, busy machine), latency p50/p99/p999 in µs.
//!
//! Run: `cargo bench -p thrust-namesrv --bench route_query -- --connections 64`
//! (or `scripts/bench-namesrv.sh`). The server and this load generator
//! share the machine; on 2 cores each gets about one.

use std::cell::{Cell, RefCell};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use glommio::{LocalExecutorBuilder, Placement};
use hdrhistogram::Histogram;
use thrust_core::body::{DataVersion, JsonBody, RegisterBrokerBody, TopicConfig};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::namesrv::RegisterBrokerRequestHeader;
use thrust_core::header::CommandHeader;
use thrust_net::{Client, ClientConfig};

#[derive(Parser, Debug)]
struct Args {
    /// Client connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Route queries in flight per connection.
    #[arg(long, default_value_t = 4)]
    depth: usize,
    /// Measured seconds (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Topics registered (queries cycle through them).
    #[arg(long, default_value_t = 100)]
    topics: usize,
    /// Ignored: cargo passes `--bench` to benchmark binaries.
    #[arg(long, hide = true)]
    bench: bool,
}

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn start_server() -> (ServerProcess, SocketAddr) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kv = std::env::temp_dir().join(format!("thrust-namesrv-bench-{}.json", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_thrust-namesrv"))
        .args(["-p", &port.to_string(), "--listen-addr", "127.0.0.1"])
        .arg("--kv-config-path")
        .arg(kv)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    (
        ServerProcess(child),
        format!("127.0.0.1:{port}").parse().unwrap(),
    )
}

fn register_request(topics: usize) -> RemotingCommand {
    let header = RegisterBrokerRequestHeader {
        broker_name: "broker-a".to_owned(),
        broker_addr: "127.0.0.1:10911".to_owned(),
        cluster_name: "DefaultCluster".to_owned(),
        ha_server_addr: "127.0.0.1:10912".to_owned(),
        broker_id: 0,
        ..Default::default()
    };
    let mut body = RegisterBrokerBody::default();
    let wrapper = &mut body.topic_config_serialize_wrapper;
    wrapper.data_version = DataVersion::new(1);
    for i in 0..topics.max(2) {
        let name = format!("BenchTopic{i}");
        let config = TopicConfig {
            topic_name: name.clone(),
            ..TopicConfig::default()
        };
        wrapper.topic_config_table.insert(name, config);
    }
    RemotingCommand::request(RequestCode::REGISTER_BROKER.0)
        .with_ext_fields(header.encode())
        .with_body(Bytes::from(body.encode()))
}

/// CPU time (user + system) the process `pid` has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12) // utime, stime (fields 14 and 15 of stat)
}

fn main() {
    let args = Args::parse();
    let (server, addr) = start_server();
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .make()
        .unwrap();
    executor.run(run(args, addr, server.0.id()));
}

async fn run(args: Args, addr: SocketAddr, server_pid: u32) {
    let timeout = Duration::from_secs(10);
    let setup = Client::new(addr, ClientConfig::default());
    let mut ready = false;
    for _ in 0..200 {
        if setup
            .request(register_request(args.topics), timeout)
            .await
            .is_ok_and(|r| r.code == 0)
        {
            ready = true;
            break;
        }
        glommio::timer::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "name server at {addr} did not come up");
    let requests: Rc<Vec<RemotingCommand>> = Rc::new(
        (0..args.topics.max(2))
            .map(|i| {
                RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
                    .with_ext_field("topic", format!("BenchTopic{i}"))
            })
            .collect(),
    );
    let histogram = Rc::new(RefCell::new(Histogram::<u64>::new(3).unwrap()));
    let measuring = Rc::new(Cell::new(false));
    let count = Rc::new(Cell::new(0_u64));
    let stop = Rc::new(Cell::new(false));
    let mut tasks = Vec::new();
    for c in 0..args.connections {
        let client = Rc::new(Client::new(addr, ClientConfig::default()));
        for d in 0..args.depth {
            let (client, requests, histogram) =
                (client.clone(), requests.clone(), histogram.clone());
            let (measuring, count, stop) = (measuring.clone(), count.clone(), stop.clone());
            tasks.push(glommio::spawn_local(async move {
                let mut i = c * args.depth + d;
                while !stop.get() {
                    let request = requests[i % requests.len()].clone();
                    i += 1;
                    let start = Instant::now();
                    let response = client.request(request, timeout).await.unwrap();
                    assert_eq!(response.code, 0);
                    if measuring.get() {
                        let micros = start.elapsed().as_micros() as u64;
                        histogram.borrow_mut().record(micros.max(1)).unwrap();
                        count.set(count.get() + 1);
                    }
                }
            }));
        }
    }
    glommio::timer::sleep(Duration::from_secs(1)).await;
    measuring.set(true);
    let start = Instant::now();
    let ticks_start = cpu_ticks(server_pid);
    let own_ticks_start = cpu_ticks(std::process::id());
    glommio::timer::sleep(Duration::from_secs(args.seconds)).await;
    measuring.set(false);
    let elapsed = start.elapsed().as_secs_f64();
    // Clock ticks are 1/100 s on Linux (USER_HZ).
    let server_cpu_s = (cpu_ticks(server_pid) - ticks_start) as f64 / 100.0;
    let client_cpu_s = (cpu_ticks(std::process::id()) - own_ticks_start) as f64 / 100.0;
    stop.set(true);
    for task in tasks {
        task.await;
    }
    let histogram = histogram.borrow();
    println!(
        "{{\"bench\":\"namesrv_route_query\",\"cpus\":{},\"connections\":{},\"depth\":{},\
         \"topics\":{},\"seconds\":{:.2},\"queries\":{},\"queries_per_s\":{:.0},\
         \"server_cpu_s\":{:.2},\"client_cpu_s\":{:.2},\"queries_per_server_cpu_s\":{:.0},\
         \"latency_us_p50\":{},\"latency_us_p99\":{},\"latency_us_p999\":{}}}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.connections,
        args.depth,
        args.topics,
        elapsed,
        count.get(),
        count.get() as f64 / elapsed,
        server_cpu_s,
        client_cpu_s,
        count.get() as f64 / server_cpu_s.max(0.01),
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.99),
        histogram.value_at_quantile(0.999),
    );
}
