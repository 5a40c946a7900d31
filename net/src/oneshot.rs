//! A single-value local channel: the receiver of a request's response.
//!
//! Shard-local (`Rc`), allocation of one small cell per request. Dropping
//! the sender without sending makes the receiver yield `None`, which the
//! connection code turns into "connection closed".

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::{Poll, Waker};

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    sender_gone: bool,
}

/// The sending half; consumed by [`Sender::send`].
pub struct Sender<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

/// The receiving half; [`Receiver::recv`] completes with the value, or
/// `None` once the sender is dropped unused.
pub struct Receiver<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

/// A connected sender/receiver pair.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
        sender_gone: false,
    }));
    (Sender { slot: slot.clone() }, Receiver { slot })
}

impl<T> Sender<T> {
    /// Delivers the value and wakes the receiver.
    pub fn send(self, value: T) {
        let mut slot = self.slot.borrow_mut();
        assert!(slot.value.is_none(), "oneshot sent twice");
        slot.value = Some(value);
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut slot = self.slot.borrow_mut();
        slot.sender_gone = true;
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Waits for the value; `None` if the sender was dropped without one.
    pub fn recv(&self) -> impl Future<Output = Option<T>> + '_ {
        std::future::poll_fn(move |cx| {
            let mut slot = self.slot.borrow_mut();
            if let Some(value) = slot.value.take() {
                return Poll::Ready(Some(value));
            }
            if slot.sender_gone {
                return Poll::Ready(None);
            }
            slot.waker = Some(cx.waker().clone());
            Poll::Pending
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future;

    #[test]
    fn value_sent_is_received() {
        let (tx, rx) = channel();
        tx.send(7_u32);
        assert_eq!(future::block_on(rx.recv()), Some(7));
    }

    #[test]
    fn dropped_sender_yields_none() {
        let (tx, rx) = channel::<u32>();
        drop(tx);
        assert_eq!(future::block_on(rx.recv()), None);
    }
}
