//! A connection's outgoing bytes and the task that writes them.
//!
//! Frames are queued as they complete (responses in any order, requests to
//! the peer). Small pieces (headers, small bodies) are copied into one
//! staging buffer so that many frames leave in one `send`; large bodies stay
//! separate `Bytes` chunks (stored records, never copied) and go out with a
//! vectored `send` of at most [`IOV_PER_SEND_MAX`] pieces.
//!
//! Owned by the connection's shard; shared by `Rc` between the reader,
//! request tasks and the writer task.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use futures_lite::AsyncWrite;
use glommio::net::TcpStream;

use crate::NetError;

/// Bodies at most this long are copied into the staging buffer; longer ones
/// are sent from their own buffer.
pub const COPY_BODY_BYTES_MAX: usize = 4 * 1024;
/// The most buffers handed to one vectored `send`.
pub const IOV_PER_SEND_MAX: usize = 64;
/// Staging buffer capacity reserved at a time.
const STAGING_RESERVE_BYTES: usize = 64 * 1024;

struct State {
    staging: BytesMut,
    chunks: VecDeque<Bytes>,
    queued_bytes: usize,
    closed: bool,
    writer_waker: Option<Waker>,
    space_wakers: Vec<Waker>,
}

/// The outgoing side of one connection.
pub struct WriteQueue {
    peer: SocketAddr,
    limit_bytes: usize,
    state: RefCell<State>,
}

impl WriteQueue {
    /// An empty queue that refuses new frames past `limit_bytes` queued.
    pub fn new(peer: SocketAddr, limit_bytes: usize) -> Self {
        assert!(limit_bytes > 0);
        let state = State {
            staging: BytesMut::new(),
            chunks: VecDeque::new(),
            queued_bytes: 0,
            closed: false,
            writer_waker: None,
            space_wakers: Vec::new(),
        };
        Self {
            peer,
            limit_bytes,
            state: RefCell::new(state),
        }
    }

    /// Queues one frame: `encode_head` writes the frame's length prefix and
    /// header into the staging buffer; the body pieces follow it.
    /// `must_fit` refuses the frame when the queue is over its bound
    /// (requests we originate); responses pass `false`, as the reader stops
    /// reading while the queue is full, which bounds them.
    pub fn push_frame<'a>(
        &self,
        encode_head: impl FnOnce(&mut BytesMut),
        body: impl IntoIterator<Item = &'a Bytes>,
        must_fit: bool,
    ) -> Result<(), NetError> {
        let mut state = self.state.borrow_mut();
        if state.closed {
            return Err(NetError::ConnectionClosed {
                connection_id: 0,
                peer: self.peer,
            });
        }
        if must_fit && state.queued_bytes >= self.limit_bytes {
            return Err(NetError::WriteQueueFull {
                peer: self.peer,
                queued_bytes: state.queued_bytes,
                limit_bytes: self.limit_bytes,
            });
        }
        let state = &mut *state;
        if state.staging.capacity() - state.staging.len() < 1024 {
            state.staging.reserve(STAGING_RESERVE_BYTES);
        }
        let before = state.staging.len();
        encode_head(&mut state.staging);
        let mut added = state.staging.len() - before;
        for piece in body.into_iter().filter(|piece| !piece.is_empty()) {
            added += piece.len();
            if piece.len() <= COPY_BODY_BYTES_MAX {
                state.staging.extend_from_slice(piece);
            } else {
                if !state.staging.is_empty() {
                    let staged = state.staging.split().freeze();
                    state.chunks.push_back(staged);
                }
                state.chunks.push_back(piece.clone());
            }
        }
        state.queued_bytes += added;
        if let Some(waker) = state.writer_waker.take() {
            waker.wake();
        }
        Ok(())
    }

    /// Bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.state.borrow().queued_bytes
    }

    /// Stops accepting frames and lets the writer finish what is queued.
    pub fn close(&self) {
        let mut state = self.state.borrow_mut();
        state.closed = true;
        if let Some(waker) = state.writer_waker.take() {
            waker.wake();
        }
        for waker in state.space_wakers.drain(..) {
            waker.wake();
        }
    }

    /// Completes when fewer than `limit_bytes` are queued (or on close).
    pub fn wait_for_space(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            let mut state = self.state.borrow_mut();
            if state.closed || state.queued_bytes < self.limit_bytes {
                return Poll::Ready(());
            }
            state.space_wakers.push(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Waits for queued data and moves it into `batch`; `false` once the
    /// queue is closed and empty.
    async fn next_batch(&self, batch: &mut VecDeque<Bytes>) -> bool {
        std::future::poll_fn(|cx| {
            let mut state = self.state.borrow_mut();
            let state = &mut *state;
            if !state.staging.is_empty() {
                let staged = state.staging.split().freeze();
                state.chunks.push_back(staged);
            }
            if !state.chunks.is_empty() {
                batch.extend(state.chunks.drain(..));
                return Poll::Ready(true);
            }
            if state.closed {
                return Poll::Ready(false);
            }
            state.writer_waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    fn written(&self, bytes: usize) {
        let mut state = self.state.borrow_mut();
        assert!(
            bytes <= state.queued_bytes,
            "wrote {bytes} > queued {}",
            state.queued_bytes
        );
        state.queued_bytes -= bytes;
        if state.queued_bytes < self.limit_bytes {
            for waker in state.space_wakers.drain(..) {
                waker.wake();
            }
        }
    }

    /// The writer task: sends batches until the queue is closed and drained
    /// or the socket fails.
    ///
    /// # Errors
    /// [`NetError::Io`] when the socket refuses bytes (peer gone).
    pub async fn run_writer(&self, stream: &RefCell<TcpStream>) -> Result<(), NetError> {
        let mut batch = VecDeque::new();
        while self.next_batch(&mut batch).await {
            while !batch.is_empty() {
                let sent = send_some(stream, &batch)
                    .await
                    .map_err(|source| NetError::Io {
                        peer: self.peer,
                        source,
                    })?;
                self.written(sent);
                consume(&mut batch, sent);
            }
        }
        Ok(())
    }
}

/// Drops `count` bytes from the front of `batch`.
fn consume(batch: &mut VecDeque<Bytes>, mut count: usize) {
    while count > 0 {
        let Some(front) = batch.front_mut() else {
            panic!("consumed {count} bytes beyond the batch");
        };
        if front.len() <= count {
            count -= front.len();
            batch.pop_front();
        } else {
            front.advance(count);
            count = 0;
        }
    }
    while batch.front().is_some_and(|front| front.is_empty()) {
        batch.pop_front();
    }
}

/// Sends a prefix of `batch`: a non-blocking vectored `send` first; when the
/// socket is full, glommio's `poll_write` of the first piece, which waits for
/// the socket to become writable.
async fn send_some(stream: &RefCell<TcpStream>, batch: &VecDeque<Bytes>) -> io::Result<usize> {
    assert!(!batch.is_empty());
    let mut iov = [IoSlice::new(&[]); IOV_PER_SEND_MAX];
    let mut count = 0;
    for (slot, piece) in iov.iter_mut().zip(batch.iter()) {
        *slot = IoSlice::new(piece);
        count += 1;
    }
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    loop {
        let result = {
            let stream = stream.borrow();
            socket2::SockRef::from(&*stream).send_vectored_with_flags(&iov[..count], flags)
        };
        match result {
            Ok(sent) if sent > 0 => return Ok(sent),
            Ok(_) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    let first = &batch[0];
    let sent = std::future::poll_fn(|cx| {
        let mut stream = stream.borrow_mut();
        Pin::new(&mut *stream).poll_write(cx, first)
    })
    .await?;
    if sent == 0 {
        return Err(io::Error::from(io::ErrorKind::WriteZero));
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:1".parse().unwrap()
    }

    #[test]
    fn small_frames_are_staged_together_and_large_bodies_kept_apart() {
        let queue = WriteQueue::new(peer(), 1 << 20);
        let large = Bytes::from(vec![7_u8; COPY_BODY_BYTES_MAX + 1]);
        queue
            .push_frame(
                |b| b.extend_from_slice(b"h1"),
                &[Bytes::from_static(b"b1")],
                false,
            )
            .unwrap();
        queue
            .push_frame(
                |b| b.extend_from_slice(b"h2"),
                std::slice::from_ref(&large),
                false,
            )
            .unwrap();
        queue
            .push_frame(|b| b.extend_from_slice(b"h3"), &[], false)
            .unwrap();
        let mut batch = VecDeque::new();
        assert!(futures_lite::future::block_on(queue.next_batch(&mut batch)));
        assert_eq!(batch.len(), 3);
        assert_eq!(&batch[0][..], b"h1b1h2");
        assert_eq!(batch[1].as_ptr(), large.as_ptr());
        assert_eq!(&batch[2][..], b"h3");
        assert_eq!(queue.queued_bytes(), 8 + large.len());
    }

    #[test]
    fn full_queue_refuses_frames_that_must_fit() {
        let queue = WriteQueue::new(peer(), 4);
        queue
            .push_frame(|b| b.extend_from_slice(b"12345"), &[], true)
            .unwrap();
        let refused = queue.push_frame(|b| b.extend_from_slice(b"x"), &[], true);
        assert!(matches!(refused, Err(NetError::WriteQueueFull { .. })));
        queue
            .push_frame(|b| b.extend_from_slice(b"x"), &[], false)
            .unwrap();
    }

    #[test]
    fn consume_advances_across_pieces() {
        let mut batch: VecDeque<Bytes> = [Bytes::from_static(b"abc"), Bytes::from_static(b"de")]
            .into_iter()
            .collect();
        consume(&mut batch, 4);
        assert_eq!(batch.len(), 1);
        assert_eq!(&batch[0][..], b"e");
    }

    #[test]
    fn closed_queue_refuses_frames() {
        let queue = WriteQueue::new(peer(), 16);
        queue.close();
        assert!(queue.push_frame(|_| {}, &[], false).is_err());
    }
}
