//! Wakes tasks waiting for a flush round to end (group commit). Each round
//! bumps an epoch; a waiter sleeps until the epoch differs from the one it
//! saw. Single-threaded (`Cell`/`RefCell`); the waker list is bounded by the
//! number of waiting appends.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub struct FlushSignal {
    epoch: Cell<u64>,
    wakers: RefCell<Vec<Waker>>,
}

impl FlushSignal {
    pub fn epoch(&self) -> u64 {
        self.epoch.get()
    }

    /// Ends a round: every waiter wakes.
    pub fn bump(&self) {
        self.epoch.set(self.epoch.get() + 1);
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Resolves once the epoch is no longer `seen`.
    pub fn changed(&self, seen: u64) -> EpochChanged<'_> {
        EpochChanged { signal: self, seen }
    }
}

pub struct EpochChanged<'a> {
    signal: &'a FlushSignal,
    seen: u64,
}

impl Future for EpochChanged<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.signal.epoch.get() != self.seen {
            return Poll::Ready(());
        }
        self.signal
            .wakers
            .borrow_mut()
            .push(context.waker().clone());
        Poll::Pending
    }
}
