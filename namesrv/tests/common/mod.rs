//! Shared helpers of the name-server integration tests: start the real
//! `thrust-namesrv` binary on a free loopback port, and talk to it over a
//! blocking std `TcpStream` with frames built by `thrust-core`.
//!
//! Every wait is bounded; nothing asserts on timing.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use thrust_core::body::{DataVersion, JsonBody, RegisterBrokerBody, TopicConfig, TopicRouteData};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::{decode_frame_from, RemotingCommand};
use thrust_core::header::namesrv::{GetRouteInfoRequestHeader, RegisterBrokerRequestHeader};
use thrust_core::header::CommandHeader;

pub const CLUSTER: &str = "DefaultCluster";
const READY_WAIT: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(10);

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty directory for one test's files.
pub fn temp_dir(name: &str) -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "thrust-namesrv-it-{name}-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A free loopback port (the kernel's pick; freed at once).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `thrust-namesrv`; stopped (SIGTERM, then kill) on drop.
pub struct Namesrv {
    pub child: Child,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub args: Vec<String>,
}

impl Namesrv {
    /// Starts the server with `args` (port, address and KV file are added).
    pub fn start(name: &str, args: &[&str]) -> Namesrv {
        let dir = temp_dir(name);
        Self::start_in(&dir, args.iter().map(|a| a.to_string()).collect())
    }

    /// Starts it again on the same directory (same KV file), new port.
    pub fn restart(mut self) -> Namesrv {
        let (dir, args) = (self.dir.clone(), self.args.clone());
        self.stop();
        Self::start_in(&dir, args)
    }

    fn start_in(dir: &Path, args: Vec<String>) -> Namesrv {
        for _attempt in 0..5 {
            let port = free_port();
            let kv = dir.join("kvConfig.json");
            let child = Command::new(env!("CARGO_BIN_EXE_thrust-namesrv"))
                .args(["-p", &port.to_string(), "--listen-addr", "127.0.0.1"])
                .arg("--kv-config-path")
                .arg(&kv)
                .args(&args)
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(Stdio::from(
                    std::fs::File::create(dir.join(format!("log-{port}.txt"))).unwrap(),
                ))
                .spawn()
                .unwrap();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let mut server = Namesrv {
                child,
                addr,
                dir: dir.to_owned(),
                args: args.clone(),
            };
            if server.wait_ready() {
                return server;
            }
            server.stop(); // Port taken meanwhile: try another.
        }
        panic!(
            "thrust-namesrv did not start; see logs in {}",
            dir.display()
        );
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut conn) = Conn::connect(self.addr) {
                let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
                    .with_ext_field("topic", "readiness-probe");
                if conn.request(request).is_ok() {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A new connection to the server.
    pub fn connect(&self) -> Conn {
        Conn::connect(self.addr).unwrap()
    }

    /// Stops the process: SIGTERM, a bounded wait, then SIGKILL.
    pub fn stop(&mut self) {
        if !self.is_running() {
            return;
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        let port = self.addr.port();
        std::fs::read_to_string(self.dir.join(format!("log-{port}.txt"))).unwrap_or_default()
    }
}

impl Drop for Namesrv {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking connection speaking remoting frames.
pub struct Conn {
    pub stream: TcpStream,
    buf: BytesMut,
    next_opaque: i32,
}

impl Conn {
    pub fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: BytesMut::new(),
            next_opaque: 1,
        })
    }

    /// Sends `request` (a fresh opaque is set) and reads its response.
    pub fn request(&mut self, mut request: RemotingCommand) -> std::io::Result<RemotingCommand> {
        let opaque = self.next_opaque;
        self.next_opaque += 1;
        request.opaque = opaque;
        self.stream.write_all(&request.encode())?;
        loop {
            let response = self.read_frame()?;
            if response.opaque == opaque && response.is_response() {
                return Ok(response);
            }
        }
    }

    /// Reads the next frame.
    pub fn read_frame(&mut self) -> std::io::Result<RemotingCommand> {
        loop {
            match decode_frame_from(&mut self.buf) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(err) => return Err(std::io::Error::other(err.to_string())),
            }
            let mut chunk = [0_u8; 64 * 1024];
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..read]);
        }
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }
}

/// A topic config with `queues` read and write queues, perm 6.
pub fn topic(name: &str, queues: i32) -> TopicConfig {
    TopicConfig {
        topic_name: name.to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        ..TopicConfig::default()
    }
}

/// A REGISTER_BROKER request for broker `name`/`id` at `addr` with `topics`.
pub fn register_request(
    name: &str,
    id: i64,
    addr: &str,
    topics: &[TopicConfig],
) -> RemotingCommand {
    let header = RegisterBrokerRequestHeader {
        broker_name: name.to_owned(),
        broker_addr: addr.to_owned(),
        cluster_name: CLUSTER.to_owned(),
        ha_server_addr: format!("{addr}-ha"),
        broker_id: id,
        ..RegisterBrokerRequestHeader::default()
    };
    let mut body = RegisterBrokerBody::default();
    let wrapper = &mut body.topic_config_serialize_wrapper;
    wrapper.data_version = DataVersion::new(1_700_000_000_000);
    for topic in topics {
        wrapper
            .topic_config_table
            .insert(topic.topic_name.clone(), topic.clone());
    }
    RemotingCommand::request(RequestCode::REGISTER_BROKER.0)
        .with_ext_fields(header.encode())
        .with_body(Bytes::from(body.encode()))
}

/// Registers and asserts SUCCESS; returns the response.
pub fn register(
    conn: &mut Conn,
    name: &str,
    id: i64,
    addr: &str,
    topics: &[TopicConfig],
) -> RemotingCommand {
    let response = conn
        .request(register_request(name, id, addr, topics))
        .unwrap();
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS.0,
        "{:?}",
        response.remark
    );
    response
}

/// GET_ROUTEINFO_BY_TOPIC; `Ok(route)` on SUCCESS, `Err(code)` otherwise.
pub fn route(conn: &mut Conn, topic: &str) -> Result<TopicRouteData, i32> {
    let header = GetRouteInfoRequestHeader {
        topic: topic.to_owned(),
        ..Default::default()
    };
    let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_fields(header.encode());
    let response = conn.request(request).unwrap();
    if response.code != ResponseCode::SUCCESS.0 {
        return Err(response.code);
    }
    Ok(TopicRouteData::decode(&response.body).unwrap())
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
