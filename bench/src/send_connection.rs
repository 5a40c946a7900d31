//! One producer connection: requests written from prepared headers, their
//! responses matched by opaque, timeouts swept in bulk.
//!
//! `thrust-net`'s client takes a `RemotingCommand` per request, encodes its
//! map of `String`s, decodes every response into one and arms a timer per
//! request; at tens of thousands of sends a second that was most of the
//! bench's CPU. Here a sender writes its frame straight into the write
//! queue ([`SendConnection::request`]), waits on its own [`Reply`] slot
//! (made once, reused for every send), and gets back only the response
//! code. Timeouts are checked by one sweeper task per connection every
//! [`sweep_interval`] instead of one timer per request, so a request times
//! out between its deadline and one interval later.
//!
//! Life cycle: [`run`] reads until EOF, an I/O error, a bad frame or
//! [`SendConnection::close`]; then every waiting sender gets
//! [`ERROR_CONNECTION`], and queued bytes get [`CLOSE_FLUSH`] to leave.
//! Owned by one worker thread (`Rc`); frames the broker sends that are not
//! responses are dropped (the bench registers with no broker, so none are
//! expected).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_lite::{future, AsyncRead};
use glommio::net::TcpStream;
use thrust_core::frame::FRAME_LENGTH_MAX;
use thrust_net::{Event, NetError, WriteQueue};

use crate::response_head::{frame_total_bytes, next_frame};
use crate::stats::{ERROR_BACKPRESSURE, ERROR_CONNECTION, ERROR_TIMEOUT};

/// Requests awaiting a response, at most (as `thrust-net`'s default).
pub const PENDING_MAX: usize = 65_536;
/// Bytes queued for writing beyond which sends are refused.
pub const WRITE_QUEUE_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Receive buffer size; grows (rarely) to fit one larger frame.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Free room below which the receive buffer is compacted before a read.
const READ_ROOM_MIN_BYTES: usize = 16 * 1024;
/// How long a closing connection may spend sending what is queued.
pub const CLOSE_FLUSH: Duration = Duration::from_secs(1);

/// The outcome of one request: the response code, or a negative pseudo code
/// ([`ERROR_TIMEOUT`], [`ERROR_CONNECTION`], [`ERROR_BACKPRESSURE`]).
pub type Outcome = Result<i32, i32>;

/// Where the outcome of a sender's one outstanding request lands. A sender
/// makes one and reuses it for every request.
#[derive(Default)]
pub struct Reply {
    outcome: Cell<Option<Outcome>>,
    waker: Cell<Option<Waker>>,
}

impl Reply {
    fn complete(&self, outcome: Outcome) {
        self.outcome.set(Some(outcome));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = Outcome> + '_ {
        std::future::poll_fn(move |cx| match self.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                self.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
    }
}

struct Waiting {
    reply: Rc<Reply>,
    /// `None`: never times out.
    deadline: Option<Instant>,
}

/// Hashes an opaque with one multiplication (Fibonacci hashing, which
/// spreads consecutive numbers over the high bits the table probes with).
/// SipHash cost more than the rest of matching a response; the keys are
/// numbers we chose and a peer can only look them up, so a weak hash is no
/// flooding risk.
#[derive(Default)]
struct OpaqueHasher(u64);

impl Hasher for OpaqueHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(FIBONACCI_MULTIPLIER);
        }
    }

    fn write_i32(&mut self, value: i32) {
        let value = u32::from_ne_bytes(value.to_ne_bytes());
        self.0 = u64::from(value).wrapping_mul(FIBONACCI_MULTIPLIER);
    }
}

/// 2^64 divided by the golden ratio, odd.
const FIBONACCI_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

type WaitingMap = HashMap<i32, Waiting, BuildHasherDefault<OpaqueHasher>>;

/// The check interval of the timeout sweeper for request `timeout`: a
/// sixteenth of it, within 1..=100 ms.
pub fn sweep_interval(timeout: Duration) -> Duration {
    (timeout / 16).clamp(Duration::from_millis(1), Duration::from_millis(100))
}

/// Handle to one connection (shared by the senders using it).
pub struct SendConnection {
    peer: SocketAddr,
    writes: WriteQueue,
    waiting: RefCell<WaitingMap>,
    next_opaque: Cell<i32>,
    closed: Event,
    /// Set when [`run`] has ended (queued bytes sent or dropped).
    finished: Event,
    sweep: Duration,
}

impl SendConnection {
    /// A connection to `peer` whose timeouts are swept every `sweep`; [`run`]
    /// drives it.
    pub fn new(peer: SocketAddr, sweep: Duration) -> SendConnection {
        SendConnection {
            peer,
            writes: WriteQueue::new(peer, WRITE_QUEUE_BYTES_MAX),
            waiting: RefCell::new(WaitingMap::default()),
            next_opaque: Cell::new(1),
            closed: Event::new(),
            finished: Event::new(),
            sweep,
        }
    }

    /// Whether the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.closed.is_set()
    }

    /// Bytes queued and not yet written.
    pub fn queued_write_bytes(&self) -> usize {
        self.writes.queued_bytes()
    }

    /// Stops reading, fails every waiting request and lets the writer send
    /// what is queued.
    pub fn close(&self) {
        self.closed.set();
        self.writes.close();
        let waiting: Vec<Waiting> = self.waiting.borrow_mut().drain().map(|(_, w)| w).collect();
        for waiting in waiting {
            waiting.reply.complete(Err(ERROR_CONNECTION));
        }
    }

    /// Completes once [`run`] has ended: after [`close`](Self::close), when
    /// what was queued is sent, or [`CLOSE_FLUSH`] later.
    pub async fn finished(&self) {
        self.finished.wait().await;
    }

    /// Sends one request, written by `encode_head(opaque, out)` followed by
    /// `body`, and waits for its response or `deadline` (one sweep late at
    /// most; `None`: no deadline). `reply` must not be in use by another
    /// request.
    pub async fn request(
        &self,
        reply: &Rc<Reply>,
        deadline: Option<Instant>,
        encode_head: impl FnOnce(i32, &mut BytesMut),
        body: Body<'_>,
    ) -> Outcome {
        if self.is_closed() {
            return Err(ERROR_CONNECTION);
        }
        let opaque = {
            let mut waiting = self.waiting.borrow_mut();
            if waiting.len() >= PENDING_MAX {
                return Err(ERROR_BACKPRESSURE);
            }
            // Opaques wrap around; skip any still in use (at most PENDING_MAX are).
            let mut opaque = self.next_opaque.get();
            while waiting.contains_key(&opaque) {
                opaque = opaque.wrapping_add(1);
            }
            self.next_opaque.set(opaque.wrapping_add(1));
            let reply = reply.clone();
            assert!(reply.outcome.take().is_none(), "reply slot already in use");
            waiting.insert(opaque, Waiting { reply, deadline });
            opaque
        };
        if let Err(code) = push(&self.writes, |out| encode_head(opaque, out), body) {
            self.waiting.borrow_mut().remove(&opaque);
            return Err(code);
        }
        reply.wait().await
    }

    /// Sends one oneway request (written as in [`request`](Self::request);
    /// its header must carry the oneway flag). No response comes.
    ///
    /// # Errors
    /// [`ERROR_CONNECTION`] when closed, [`ERROR_BACKPRESSURE`] when the
    /// write queue is full.
    pub fn send_oneway(
        &self,
        encode_head: impl FnOnce(i32, &mut BytesMut),
        body: Body<'_>,
    ) -> Result<(), i32> {
        let opaque = self.next_opaque.get();
        self.next_opaque.set(opaque.wrapping_add(1));
        push(&self.writes, |out| encode_head(opaque, out), body)
    }

    fn complete(&self, opaque: i32, outcome: Outcome) {
        let waiting = self.waiting.borrow_mut().remove(&opaque);
        match waiting {
            Some(waiting) => waiting.reply.complete(outcome),
            None => log::debug!("{}: response to unknown opaque {opaque}", self.peer),
        }
    }

    /// Fails every request whose deadline is past.
    fn expire(&self, now: Instant) {
        let mut expired = Vec::new();
        self.waiting.borrow_mut().retain(|_, waiting| {
            let live = !waiting.deadline.is_some_and(|deadline| deadline <= now);
            if !live {
                expired.push(waiting.reply.clone());
            }
            live
        });
        for reply in expired {
            reply.complete(Err(ERROR_TIMEOUT));
        }
    }
}

/// A frame's body: `prefix` (a stamp, copied) followed by `rest`.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    pub prefix: &'a [u8],
    pub rest: &'a Bytes,
}

impl Body<'_> {
    /// Bytes of the whole body.
    pub fn len(&self) -> usize {
        self.prefix.len() + self.rest.len()
    }
}

/// Queues one frame on `writes` (net's write queue: heads and small bodies
/// copied into one staging buffer, large bodies sent from their own
/// buffer); the body's prefix is copied right after the head.
fn push(
    writes: &WriteQueue,
    encode_head: impl FnOnce(&mut BytesMut),
    body: Body<'_>,
) -> Result<(), i32> {
    let head = |out: &mut BytesMut| {
        encode_head(out);
        out.extend_from_slice(body.prefix);
    };
    writes
        .push_frame(head, std::iter::once(body.rest), true)
        .map_err(|err| match err {
            NetError::WriteQueueFull { .. } => ERROR_BACKPRESSURE,
            _ => ERROR_CONNECTION,
        })
}

/// Serves `connection` over `stream` until it closes; see the module doc.
pub async fn run(connection: Rc<SendConnection>, stream: TcpStream) {
    let stream = Rc::new(RefCell::new(stream));
    let writer = glommio::spawn_local({
        let (connection, stream) = (connection.clone(), stream.clone());
        async move {
            if let Err(err) = connection.writes.run_writer(&stream).await {
                log::debug!("{}: write failed: {err}", connection.peer);
            }
            connection.close();
        }
    });
    let sweeper = glommio::spawn_local(sweep_loop(connection.clone()));
    match read_loop(&connection, &stream).await {
        Ok(()) => log::debug!("{}: connection closed", connection.peer),
        Err(err) => log::warn!("{}: connection lost: {err}", connection.peer),
    }
    connection.close();
    let flushed = future::or(
        async {
            writer.await;
            true
        },
        async {
            glommio::timer::sleep(CLOSE_FLUSH).await;
            false
        },
    )
    .await;
    if !flushed {
        log::debug!("{}: unsent bytes dropped at close", connection.peer);
    }
    sweeper.await;
    connection.finished.set();
}

async fn sweep_loop(connection: Rc<SendConnection>) {
    while !connection.is_closed() {
        future::or(
            glommio::timer::sleep(connection.sweep),
            connection.closed.wait(),
        )
        .await;
        connection.expire(Instant::now());
    }
}

/// A receive buffer: bytes `start..end` of `bytes` are received and not
/// yet decoded. Allocated (and zeroed) once, not per read.
struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuffer {
    fn pending(&self) -> &[u8] {
        self.bytes.get(self.start..self.end).unwrap_or_default()
    }

    /// Makes room for the next read: compacts when little room is left
    /// after `end`, and grows to hold the frame at the front when it cannot.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        let frame_bytes = frame_total_bytes(self.pending()).unwrap_or(0);
        let room = self.bytes.len() - self.end;
        if self.start > 0
            && (room < READ_ROOM_MIN_BYTES || self.start + frame_bytes > self.end + room)
        {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if frame_bytes > self.bytes.len() {
            // Core's checks bound a frame by FRAME_LENGTH_MAX plus its prefix.
            assert!(
                frame_bytes <= FRAME_LENGTH_MAX + 4,
                "frame of {frame_bytes}"
            );
            self.bytes.resize(frame_bytes, 0);
        }
    }
}

async fn read_loop(
    connection: &SendConnection,
    stream: &RefCell<TcpStream>,
) -> Result<(), io::Error> {
    let mut buffer = ReadBuffer {
        bytes: vec![0; READ_BUFFER_BYTES],
        start: 0,
        end: 0,
    };
    loop {
        buffer.make_room();
        let end = buffer.end;
        let Some(room) = buffer.bytes.get_mut(end..) else {
            return Err(io::Error::other("receive buffer lost its room"));
        };
        let read = future::or(async { Some(read_some(stream, room).await) }, async {
            connection.closed.wait().await;
            None
        })
        .await;
        match read {
            None | Some(Ok(0)) => return Ok(()),
            Some(Ok(read)) => buffer.end += read,
            Some(Err(err)) => return Err(err),
        }
        while let Some((head, used)) = next_frame(buffer.pending()).map_err(io::Error::other)? {
            buffer.start += used;
            if head.is_response() {
                connection.complete(head.opaque, Ok(head.code));
            } else {
                log::debug!("{}: dropped request code {}", connection.peer, head.code);
            }
        }
    }
}

async fn read_some(stream: &RefCell<TcpStream>, room: &mut [u8]) -> io::Result<usize> {
    std::future::poll_fn(|cx| {
        let mut stream = stream.borrow_mut();
        Pin::new(&mut *stream).poll_read(cx, room)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> SendConnection {
        SendConnection::new("127.0.0.1:1".parse().unwrap(), Duration::from_millis(1))
    }

    #[test]
    fn a_response_completes_only_its_own_request() {
        let connection = connection();
        let (first, second) = (Rc::new(Reply::default()), Rc::new(Reply::default()));
        let deadline = Some(Instant::now() + Duration::from_secs(60));
        let empty = bytes::Bytes::new();
        let body = Body {
            prefix: b"",
            rest: &empty,
        };
        let mut one = Box::pin(connection.request(&first, deadline, |_, _| {}, body));
        let mut two = Box::pin(connection.request(&second, deadline, |_, _| {}, body));
        assert!(future::block_on(future::poll_once(&mut one)).is_none());
        assert!(future::block_on(future::poll_once(&mut two)).is_none());
        connection.complete(2, Ok(17));
        connection.complete(99, Ok(0));
        assert_eq!(future::block_on(two), Ok(17));
        assert!(future::block_on(future::poll_once(&mut one)).is_none());
        connection.complete(1, Ok(0));
        assert_eq!(future::block_on(one), Ok(0));
    }

    #[test]
    fn requests_past_their_deadline_time_out_and_a_late_response_is_dropped() {
        let connection = connection();
        let reply = Rc::new(Reply::default());
        let now = Instant::now();
        let empty = bytes::Bytes::new();
        let body = Body {
            prefix: b"",
            rest: &empty,
        };
        let mut request = Box::pin(connection.request(&reply, Some(now), |_, _| {}, body));
        assert!(future::block_on(future::poll_once(&mut request)).is_none());
        connection.expire(now + Duration::from_millis(1));
        assert_eq!(future::block_on(request), Err(ERROR_TIMEOUT));
        connection.complete(1, Ok(0));
        assert!(reply.outcome.take().is_none());
    }

    #[test]
    fn closing_fails_waiting_requests_and_refuses_new_ones() {
        let connection = connection();
        let reply = Rc::new(Reply::default());
        let deadline = Some(Instant::now() + Duration::from_secs(60));
        let empty = bytes::Bytes::new();
        let body = Body {
            prefix: b"",
            rest: &empty,
        };
        let mut request = Box::pin(connection.request(&reply, deadline, |_, _| {}, body));
        assert!(future::block_on(future::poll_once(&mut request)).is_none());
        connection.close();
        assert_eq!(future::block_on(request), Err(ERROR_CONNECTION));
        let again = connection.request(&reply, deadline, |_, _| {}, body);
        assert_eq!(future::block_on(again), Err(ERROR_CONNECTION));
        assert_eq!(
            connection.send_oneway(|_, _| {}, body),
            Err(ERROR_CONNECTION)
        );
    }

    #[test]
    fn the_read_buffer_compacts_and_grows_to_fit_the_frame_at_its_front() {
        let mut buffer = ReadBuffer {
            bytes: vec![0; READ_BUFFER_BYTES],
            start: READ_BUFFER_BYTES - 8,
            end: READ_BUFFER_BYTES,
        };
        // The front frame needs 2 * READ_BUFFER_BYTES in all; 8 bytes are here.
        let total = u32::try_from(2 * READ_BUFFER_BYTES - 4).unwrap();
        buffer.bytes[READ_BUFFER_BYTES - 8..READ_BUFFER_BYTES - 4]
            .copy_from_slice(&total.to_be_bytes());
        buffer.bytes[READ_BUFFER_BYTES - 4..].copy_from_slice(&[0, 0, 0, 9]);
        buffer.make_room();
        assert_eq!((buffer.start, buffer.end), (0, 8));
        assert_eq!(buffer.bytes.len(), 2 * READ_BUFFER_BYTES);
        assert_eq!(&buffer.bytes[4..8], &[0, 0, 0, 9]);
        buffer.start = 8;
        buffer.make_room();
        assert_eq!((buffer.start, buffer.end), (0, 0));
    }

    #[test]
    fn opaques_are_not_reused_while_their_request_waits() {
        let connection = connection();
        connection.next_opaque.set(i32::MAX);
        let replies: Vec<Rc<Reply>> = (0..3).map(|_| Rc::new(Reply::default())).collect();
        let deadline = Some(Instant::now() + Duration::from_secs(60));
        let empty = bytes::Bytes::new();
        let body = Body {
            prefix: b"",
            rest: &empty,
        };
        let mut requests: Vec<_> = replies
            .iter()
            .map(|reply| Box::pin(connection.request(reply, deadline, |_, _| {}, body)))
            .collect();
        for request in &mut requests {
            assert!(future::block_on(future::poll_once(request)).is_none());
        }
        let mut opaques: Vec<i32> = connection.waiting.borrow().keys().copied().collect();
        opaques.sort_unstable();
        assert_eq!(opaques, [i32::MIN, i32::MIN + 1, i32::MAX]);
    }

    #[test]
    fn sweep_interval_is_a_sixteenth_of_the_timeout_within_bounds() {
        assert_eq!(
            sweep_interval(Duration::from_secs(3)),
            Duration::from_millis(100)
        );
        assert_eq!(
            sweep_interval(Duration::from_millis(320)),
            Duration::from_millis(20)
        );
        assert_eq!(sweep_interval(Duration::ZERO), Duration::from_millis(1));
    }
}
