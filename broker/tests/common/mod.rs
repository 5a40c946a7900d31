//! Shared harness of the broker integration tests: starts real
//! `thrust-namesrv` and `thrust-broker` processes on 127.0.0.1 with a fresh
//! temporary store, and talks to them with a small blocking remoting client
//! built on `thrust-core` frames.
//!
//! The name server binary is looked up next to the broker binary (same
//! target directory); if it is missing the harness builds it once with
//! `cargo build -p thrust-namesrv` into that directory, so `cargo test -p
//! thrust-broker` works on its own and `cargo test --workspace` reuses the
//! binary it already built.
#![allow(dead_code)]

pub mod requests;

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use thrust_core::frame::{decode_frame_from, RemotingCommand};

/// Bound of every wait in the tests.
pub const WAIT: Duration = Duration::from_secs(60);

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);
static BUILD_LOCK: Mutex<()> = Mutex::new(());

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok() && TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// A port `p` such that `p` and `p - 2` are free (the broker uses both).
///
/// Ports come from 12000..32000, below Linux's ephemeral range (32768+):
/// servers that bind port 0 elsewhere on the machine never land there. A
/// glommio server of another process on the same port would share it
/// silently (SO_REUSEPORT), so the range matters.
pub fn free_port_pair() -> u16 {
    let start = (std::process::id().wrapping_mul(97) % 20000) as u16 + 1;
    let _ = NEXT_PORT.compare_exchange(0, start, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..2000 {
        let port = NEXT_PORT.fetch_add(7, Ordering::SeqCst);
        let port = 12000 + port % 20000;
        if port_free(port) && port_free(port - 2) && port_free(port + 1) {
            return port;
        }
    }
    panic!("no free port pair found");
}

/// The broker binary Cargo built for this test.
pub fn broker_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_thrust-broker"))
}

/// The name server binary, built first if the target dir lacks it.
pub fn namesrv_bin() -> PathBuf {
    let broker = broker_bin();
    let dir = broker.parent().expect("binary dir").to_path_buf();
    let path = dir.join("thrust-namesrv");
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !path.exists() {
        let target_dir = dir.parent().expect("target dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let status = Command::new(cargo)
            .args(["build", "-p", "thrust-namesrv", "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build -p thrust-namesrv");
        assert!(status.success(), "building thrust-namesrv failed");
    }
    path
}

/// A child process killed (SIGTERM, then SIGKILL) when dropped.
pub struct Proc {
    pub child: Option<Child>,
    pub name: &'static str,
}

impl Proc {
    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on port {port}");
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicU16 = AtomicU16::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "thrust-broker-it-{name}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A name server and a broker on loopback.
pub struct Cluster {
    pub namesrv: Proc,
    pub broker: Proc,
    pub namesrv_port: u16,
    pub broker_port: u16,
    pub dir: TempDir,
    pub extra_config: String,
}

pub fn start_namesrv(dir: &Path) -> (Proc, u16) {
    let port = free_port_pair();
    let child = Command::new(namesrv_bin())
        .args([
            "-p",
            &port.to_string(),
            "--listen-addr",
            "127.0.0.1",
            "--kv-config-path",
        ])
        .arg(dir.join("kv.json"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("namesrv.log")).expect("log file"))
        .spawn()
        .expect("spawn thrust-namesrv");
    wait_listening(port);
    (
        Proc {
            child: Some(child),
            name: "namesrv",
        },
        port,
    )
}

pub fn start_broker(dir: &Path, namesrv_port: u16, port: u16, extra_config: &str) -> Proc {
    let conf = dir.join("broker.conf");
    std::fs::write(
        &conf,
        format!("brokerName=broker-it\nbrokerIP1=127.0.0.1\nmappedFileSizeCommitLog=16777216\n{extra_config}\n"),
    )
    .expect("write broker.conf");
    // Appended to: a restarted broker keeps its predecessor's log.
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join(format!("broker-{port}.log")))
        .expect("log file");
    let child = Command::new(broker_bin())
        .args(["-n", &format!("127.0.0.1:{namesrv_port}"), "-c"])
        .arg(&conf)
        .args([
            "--shards",
            "2",
            "--listen-port",
            &port.to_string(),
            "--store-path",
        ])
        .arg(dir.join("store"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn thrust-broker");
    wait_listening(port);
    Proc {
        child: Some(child),
        name: "broker",
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.broker.stop();
            for entry in std::fs::read_dir(&self.dir.0)
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.ends_with(".log") {
                    let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    eprintln!("==== {name}\n{text}");
                }
            }
        }
    }
}

impl Cluster {
    /// Starts a name server and a 2-shard broker; `extra_config` is added
    /// to the broker's broker.conf.
    pub fn start(name: &str, extra_config: &str) -> Cluster {
        let dir = TempDir::new(name);
        let (namesrv, namesrv_port) = start_namesrv(&dir.0);
        let broker_port = free_port_pair();
        let broker = start_broker(&dir.0, namesrv_port, broker_port, extra_config);
        Cluster {
            namesrv,
            broker,
            namesrv_port,
            broker_port,
            dir,
            extra_config: extra_config.to_string(),
        }
    }

    /// Stops the broker (SIGTERM) and starts it again on the same store.
    pub fn restart_broker(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.broker.stop();
        self.broker = start_broker(
            &self.dir.0,
            self.namesrv_port,
            self.broker_port,
            &self.extra_config,
        );
        status
    }

    /// Kills the broker (SIGKILL: no shutdown flush) and starts it again on
    /// the same store once its ports are released (a killed glommio
    /// server's listening socket can outlive the process briefly).
    pub fn crash_and_restart_broker(&mut self) {
        if let Some(mut child) = self.broker.child.take() {
            child.kill().expect("kill broker");
            child.wait().expect("reap broker");
        }
        let deadline = Instant::now() + WAIT;
        while !(port_free(self.broker_port) && port_free(self.broker_port - 2)) {
            assert!(Instant::now() < deadline, "killed broker's ports stay busy");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.broker = start_broker(
            &self.dir.0,
            self.namesrv_port,
            self.broker_port,
            &self.extra_config,
        );
    }

    pub fn client(&self) -> Client {
        Client::connect(self.broker_port)
    }

    pub fn namesrv_client(&self) -> Client {
        Client::connect(self.namesrv_port)
    }
}

/// A blocking remoting client: requests matched by opaque; requests the
/// server sends us (e.g. NOTIFY_CONSUMER_IDS_CHANGED) are kept aside.
pub struct Client {
    pub stream: TcpStream,
    buf: BytesMut,
    next_opaque: i32,
    pub server_requests: VecDeque<RemotingCommand>,
    /// Responses read while waiting for another opaque (the broker answers
    /// in completion order, not request order).
    early_responses: HashMap<i32, RemotingCommand>,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            stream,
            buf: BytesMut::new(),
            next_opaque: 1,
            server_requests: VecDeque::new(),
            early_responses: HashMap::new(),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends `command` (opaque set here) and returns the opaque.
    pub fn send(&mut self, mut command: RemotingCommand) -> i32 {
        let opaque = self.next_opaque;
        self.next_opaque += 1;
        command.opaque = opaque;
        self.stream.write_all(&command.encode()).expect("write");
        opaque
    }

    /// Reads the next frame, waiting at most `timeout`; `None` on timeout
    /// or closed connection.
    pub fn read_frame(&mut self, timeout: Duration) -> Option<RemotingCommand> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(command) = decode_frame_from(&mut self.buf).expect("decode frame") {
                return Some(command);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.stream
                .set_read_timeout(Some(deadline - now))
                .expect("timeout");
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None
                }
                Err(_) => return None,
            }
        }
    }

    /// Waits for the response to `opaque`.
    pub fn response(&mut self, opaque: i32, timeout: Duration) -> Option<RemotingCommand> {
        if let Some(early) = self.early_responses.remove(&opaque) {
            return Some(early);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let frame = self.read_frame(deadline - now)?;
            if !frame.is_response() {
                self.server_requests.push_back(frame);
            } else if frame.opaque == opaque {
                return Some(frame);
            } else {
                self.early_responses.insert(frame.opaque, frame);
            }
        }
    }

    /// Sends and waits for the response.
    pub fn call(&mut self, command: RemotingCommand) -> RemotingCommand {
        let code = command.code;
        let opaque = self.send(command);
        self.response(opaque, WAIT)
            .unwrap_or_else(|| panic!("no response to request code {code}"))
    }

    /// Whether the server closed the connection (within `timeout`).
    pub fn is_closed_by_peer(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            self.stream
                .set_read_timeout(Some(Duration::from_millis(50)))
                .expect("timeout");
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return true,
            }
        }
        false
    }
}
