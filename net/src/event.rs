//! A set-once event that any number of local tasks can await.
//!
//! Used for "this connection is closed" and "the server is stopping". Owned
//! by one shard (`!Send`); the waker list holds one entry per waiting task,
//! which the connection code bounds (reader, writer and callers waiting on
//! a reply).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::task::{Poll, Waker};

/// A flag that goes from unset to set once and wakes every waiter.
#[derive(Default)]
pub struct Event {
    set: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl Event {
    /// A new, unset event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the event and wakes every waiter. Setting twice is harmless.
    pub fn set(&self) {
        self.set.set(true);
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether [`Event::set`] was called.
    pub fn is_set(&self) -> bool {
        self.set.get()
    }

    /// Completes once the event is set.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.set.get() {
                return Poll::Ready(());
            }
            let mut wakers = self.wakers.borrow_mut();
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future;

    #[test]
    fn waiter_completes_only_after_set() {
        let event = Event::new();
        let mut wait = Box::pin(event.wait());
        assert!(future::block_on(future::poll_once(&mut wait)).is_none());
        event.set();
        assert!(future::block_on(future::poll_once(&mut wait)).is_some());
        assert!(event.is_set());
    }
}
