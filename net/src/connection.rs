//! One connection: the reader loop that decodes frames and dispatches them,
//! the writer task, and [`ConnectionContext`], the handle that handlers and
//! clients use to answer, send requests to the peer, or close.
//!
//! Life cycle: `run_connection` starts the writer task, reads until EOF, an
//! I/O error, an undecodable or oversized frame, or [`ConnectionContext::close`];
//! then it fails the requests awaiting a reply, calls the close callback
//! once, lets the writer flush for at most `close_flush_timeout` and drops
//! the socket. Request tasks still running keep the context (not the socket)
//! alive; their responses are dropped.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_lite::{future, AsyncRead};
use glommio::net::TcpStream;
use glommio::sync::Semaphore;
use thrust_core::frame::RemotingCommand;

use crate::codec;
use crate::event::Event;
use crate::handler::RequestHandler;
use crate::pending::PendingRequests;
use crate::response::Response;
use crate::write_queue::WriteQueue;
use crate::NetError;

/// Bytes read at most per `recv` while a large frame is incomplete.
const READ_BYTES_MAX: usize = 1024 * 1024;

/// Identifies a connection within its shard (unique for the process life).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

thread_local! {
    static NEXT_CONNECTION_ID: Cell<u64> = const { Cell::new(1) };
}

impl ConnectionId {
    pub(crate) fn next() -> Self {
        NEXT_CONNECTION_ID.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            ConnectionId(id)
        })
    }
}

/// Per-connection bounds.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Requests from the peer being handled at once; the reader stops
    /// reading at this count.
    pub in_flight_max: usize,
    /// Bytes queued for writing before the reader stops reading and sends
    /// we originate are refused.
    pub write_queue_bytes_max: usize,
    /// Our requests awaiting the peer's reply.
    pub pending_requests_max: usize,
    /// Bytes asked of a `recv` when no large frame is pending; doubled
    /// (up to 1 MiB) while reads fill what was asked.
    pub read_chunk_bytes: usize,
    /// How long a closing connection may spend flushing queued bytes.
    pub close_flush_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            in_flight_max: 1024,
            write_queue_bytes_max: 64 * 1024 * 1024,
            pending_requests_max: 65_536,
            read_chunk_bytes: 4 * 1024,
            close_flush_timeout: Duration::from_secs(1),
        }
    }
}

struct Inner {
    id: ConnectionId,
    peer: SocketAddr,
    write_queue: WriteQueue,
    pending: PendingRequests,
    closed: Event,
}

/// Handle to one connection, owned by its shard (`Rc`; cheap to clone).
/// Valid after the connection closed: sends then fail with
/// [`NetError::ConnectionClosed`].
#[derive(Clone)]
pub struct ConnectionContext {
    inner: Rc<Inner>,
}

impl fmt::Debug for ConnectionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {} ({})", self.inner.id, self.inner.peer)
    }
}

impl ConnectionContext {
    pub(crate) fn new(peer: SocketAddr, limits: &ConnectionLimits) -> Self {
        let inner = Inner {
            id: ConnectionId::next(),
            peer,
            write_queue: WriteQueue::new(peer, limits.write_queue_bytes_max),
            pending: PendingRequests::new(limits.pending_requests_max),
            closed: Event::new(),
        };
        Self {
            inner: Rc::new(inner),
        }
    }

    /// This connection's id.
    pub fn id(&self) -> ConnectionId {
        self.inner.id
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.inner.peer
    }

    /// Whether the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_set()
    }

    /// Bytes queued for this connection and not yet written (a producer of
    /// server-initiated traffic can use it to slow down).
    pub fn queued_write_bytes(&self) -> usize {
        self.inner.write_queue.queued_bytes()
    }

    /// Requests sent to the peer that await its reply.
    pub fn pending_requests(&self) -> usize {
        self.inner.pending.len()
    }

    /// Completes once the connection is closed or closing.
    pub async fn wait_closed(&self) {
        self.inner.closed.wait().await;
    }

    /// Stops reading, flushes what is queued (bounded) and closes the socket.
    pub fn close(&self) {
        self.inner.closed.set();
        self.inner.write_queue.close();
        self.inner.pending.fail_all();
    }

    fn closed_error(&self) -> NetError {
        NetError::ConnectionClosed {
            connection_id: self.inner.id.0,
            peer: self.inner.peer,
        }
    }

    fn queue(
        &self,
        command: &RemotingCommand,
        chunks: &[Bytes],
        must_fit: bool,
    ) -> Result<(), NetError> {
        let body_len = chunks
            .iter()
            .try_fold(command.body.len(), |sum, chunk| {
                sum.checked_add(chunk.len())
            })
            .filter(|len| *len <= codec::FRAME_BYTES_MAX)
            .ok_or(NetError::FrameTooLarge {
                peer: self.inner.peer,
                frame_bytes: usize::MAX,
                limit_bytes: codec::FRAME_BYTES_MAX,
            })?;
        let body = std::iter::once(&command.body).chain(chunks.iter());
        self.inner
            .write_queue
            .push_frame(
                |out| codec::encode_head(command, body_len, out),
                body,
                must_fit,
            )
            .map_err(|err| match err {
                NetError::ConnectionClosed { .. } => self.closed_error(),
                other => other,
            })
    }

    /// Sends a oneway request to the peer (flag bit 1; no reply expected).
    ///
    /// # Errors
    /// [`NetError::ConnectionClosed`], [`NetError::WriteQueueFull`],
    /// [`NetError::FrameTooLarge`]. Nothing is sent on error.
    pub fn send_oneway(&self, mut command: RemotingCommand) -> Result<(), NetError> {
        codec::mark_oneway_request(&mut command, self.inner.pending.next_oneway_opaque());
        self.queue(&command, &[], true)
    }

    /// Sends a request and waits at most `timeout` for the reply with the
    /// same opaque. The opaque and flag of `command` are set here.
    ///
    /// # Errors
    /// [`NetError::Timeout`], [`NetError::ConnectionClosed`] (before or
    /// while waiting), [`NetError::TooManyPending`],
    /// [`NetError::WriteQueueFull`], [`NetError::FrameTooLarge`].
    pub async fn request(
        &self,
        mut command: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, NetError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        let pending = &self.inner.pending;
        let (opaque, receiver) = pending.register().ok_or(NetError::TooManyPending {
            peer: self.inner.peer,
            pending: pending.len(),
            limit: pending.limit(),
        })?;
        codec::mark_request(&mut command, opaque);
        if let Err(err) = self.queue(&command, &[], true) {
            pending.cancel(opaque);
            return Err(err);
        }
        let reply = future::or(async { Some(receiver.recv().await) }, async {
            glommio::timer::sleep(timeout).await;
            None
        })
        .await;
        match reply {
            Some(Some(response)) => Ok(response),
            Some(None) => Err(self.closed_error()),
            None => {
                pending.cancel(opaque);
                Err(NetError::Timeout {
                    peer: self.inner.peer,
                    code: codec::code_of(&command),
                    opaque,
                    timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                })
            }
        }
    }

    /// Queues the response to `request_opaque` (the framework calls this).
    fn send_response(&self, mut response: Response, request_opaque: i32) {
        codec::mark_response(&mut response.command, request_opaque);
        let result = self.queue(&response.command, &response.body_chunks, false);
        if let Err(NetError::FrameTooLarge { .. }) = result {
            log::error!("{self:?}: response to opaque {request_opaque} too large, sent an error");
            let error = codec::system_error(request_opaque, "response too large");
            if let Err(err) = self.queue(&error, &[], false) {
                log::debug!("{self:?}: response dropped: {err}");
            }
        } else if let Err(err) = result {
            log::debug!("{self:?}: response to opaque {request_opaque} dropped: {err}");
        }
    }
}

/// Serves one connection until it closes; see the module doc.
pub(crate) async fn run_connection<H: RequestHandler>(
    stream: TcpStream,
    ctx: ConnectionContext,
    handler: Rc<H>,
    limits: ConnectionLimits,
) {
    let stream = Rc::new(RefCell::new(stream));
    let writer = glommio::spawn_local({
        let (stream, ctx) = (stream.clone(), ctx.clone());
        async move {
            if let Err(err) = ctx.inner.write_queue.run_writer(&stream).await {
                log::debug!("{ctx:?}: write failed: {err}");
            }
            ctx.close();
        }
    });
    handler.on_connection_opened(&ctx);
    let permits = Rc::new(Semaphore::new(limits.in_flight_max as u64));
    match read_loop(&stream, &ctx, &handler, &limits, &permits).await {
        Ok(()) => log::debug!("{ctx:?}: closed"),
        Err(ReadEnd::Io(err)) => log::debug!("{ctx:?}: read failed: {err}"),
        Err(ReadEnd::BadFrame(err)) => log::warn!("{ctx:?}: closing on a bad frame: {err}"),
    }
    ctx.close();
    handler.on_connection_closed(&ctx);
    let flushed = future::or(
        async {
            writer.await;
            true
        },
        async {
            glommio::timer::sleep(limits.close_flush_timeout).await;
            false
        },
    )
    .await;
    if !flushed {
        log::debug!("{ctx:?}: unflushed bytes dropped at close");
    }
    permits.close();
}

enum ReadEnd {
    Io(io::Error),
    BadFrame(thrust_core::DecodeError),
}

async fn read_loop<H: RequestHandler>(
    stream: &RefCell<TcpStream>,
    ctx: &ConnectionContext,
    handler: &Rc<H>,
    limits: &ConnectionLimits,
    permits: &Rc<Semaphore>,
) -> Result<(), ReadEnd> {
    let mut buf = BytesMut::with_capacity(limits.read_chunk_bytes);
    // Grows while reads fill what was asked (a busy peer), back to one
    // chunk otherwise, so that small requests do not pay for zeroing a
    // large buffer on every read.
    let mut chunk_bytes = limits.read_chunk_bytes;
    loop {
        ctx.inner.write_queue.wait_for_space().await;
        let want = read_size(&buf, chunk_bytes);
        let read = future::or(
            async { Some(read_some(stream, &mut buf, want).await) },
            async {
                ctx.wait_closed().await;
                None
            },
        )
        .await;
        match read {
            None | Some(Ok(0)) => return Ok(()),
            Some(Ok(read)) if read == want => {
                chunk_bytes = chunk_bytes.saturating_mul(2).min(READ_BYTES_MAX);
            }
            Some(Ok(_)) => chunk_bytes = limits.read_chunk_bytes,
            Some(Err(err)) => return Err(ReadEnd::Io(err)),
        }
        while let Some(frame) = codec::decode(&mut buf).map_err(ReadEnd::BadFrame)? {
            if !dispatch(ctx, handler, permits, frame).await {
                return Ok(());
            }
        }
    }
}

/// How many bytes to ask of the next `recv`: what the frame at the front
/// still lacks (bounded), or one chunk.
fn read_size(buf: &BytesMut, read_chunk_bytes: usize) -> usize {
    let missing = buf
        .get(..4)
        .and_then(|prefix| <[u8; 4]>::try_from(prefix).ok())
        .map(u32::from_be_bytes)
        .and_then(|frame_len| usize::try_from(frame_len).ok())
        .and_then(|frame_len| frame_len.checked_add(4))
        .and_then(|total| total.checked_sub(buf.len()))
        .unwrap_or(0);
    missing.clamp(read_chunk_bytes, READ_BYTES_MAX.max(read_chunk_bytes))
}

async fn read_some(
    stream: &RefCell<TcpStream>,
    buf: &mut BytesMut,
    want: usize,
) -> io::Result<usize> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let result = std::future::poll_fn(|cx| {
        let mut stream = stream.borrow_mut();
        Pin::new(&mut *stream).poll_read(cx, &mut buf[start..])
    })
    .await;
    let read = *result.as_ref().unwrap_or(&0);
    buf.truncate(start + read);
    result
}

/// Routes one decoded frame: responses to their waiter, requests to a new
/// task. `false` when the connection is closing.
async fn dispatch<H: RequestHandler>(
    ctx: &ConnectionContext,
    handler: &Rc<H>,
    permits: &Rc<Semaphore>,
    frame: RemotingCommand,
) -> bool {
    if codec::is_response(&frame) {
        let opaque = frame.opaque;
        if !ctx.inner.pending.complete(frame) {
            log::debug!("{ctx:?}: dropped a response for unknown opaque {opaque}");
        }
        return true;
    }
    let permit = future::or(
        async { permits.acquire_static_permit(1).await.ok() },
        async {
            ctx.wait_closed().await;
            None
        },
    )
    .await;
    let Some(permit) = permit else {
        return false;
    };
    let (ctx, handler) = (ctx.clone(), handler.clone());
    glommio::spawn_local(async move {
        let opaque = frame.opaque;
        let oneway = codec::is_oneway(&frame);
        let response = handler.handle(&ctx, frame).await;
        if let (Some(response), false) = (response, oneway) {
            ctx.send_response(response, opaque);
        }
        drop(permit);
    })
    .detach();
    true
}
