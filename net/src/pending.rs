//! Requests we sent on a connection that still await their response,
//! matched by `opaque` (REMOTING.md §1.8).
//!
//! Owned by one connection (shard-local). A response whose opaque is not
//! here (late after a timeout, or unsolicited) is dropped by the caller.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use thrust_core::frame::RemotingCommand;

use crate::oneshot;

/// Outstanding requests of one connection.
pub struct PendingRequests {
    next_opaque: Cell<i32>,
    waiting: RefCell<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    limit: usize,
}

impl PendingRequests {
    /// An empty table holding at most `limit` outstanding requests.
    pub fn new(limit: usize) -> Self {
        assert!(limit > 0);
        Self {
            next_opaque: Cell::new(1),
            waiting: RefCell::new(HashMap::new()),
            limit,
        }
    }

    /// Reserves a fresh opaque and the receiver of its response; `None`
    /// when `limit` requests are already outstanding.
    pub fn register(&self) -> Option<(i32, oneshot::Receiver<RemotingCommand>)> {
        let mut waiting = self.waiting.borrow_mut();
        if waiting.len() >= self.limit {
            return None;
        }
        // Opaques wrap around; skip any still in use (at most `limit` are).
        let mut opaque = self.next_opaque.get();
        while waiting.contains_key(&opaque) {
            opaque = opaque.wrapping_add(1);
        }
        self.next_opaque.set(opaque.wrapping_add(1));
        let (sender, receiver) = oneshot::channel();
        waiting.insert(opaque, sender);
        Some((opaque, receiver))
    }

    /// A fresh opaque for a oneway request (nothing waits for it).
    pub fn next_oneway_opaque(&self) -> i32 {
        let opaque = self.next_opaque.get();
        self.next_opaque.set(opaque.wrapping_add(1));
        opaque
    }

    /// Number of requests awaiting a response.
    pub fn len(&self) -> usize {
        self.waiting.borrow().len()
    }

    /// The limit given to [`PendingRequests::new`].
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Hands a response to its waiter; `false` if nobody waits for it.
    pub fn complete(&self, response: RemotingCommand) -> bool {
        let sender = self.waiting.borrow_mut().remove(&response.opaque);
        match sender {
            Some(sender) => {
                sender.send(response);
                true
            }
            None => false,
        }
    }

    /// Forgets a request (its waiter gave up).
    pub fn cancel(&self, opaque: i32) {
        self.waiting.borrow_mut().remove(&opaque);
    }

    /// Fails every waiter (the connection closed).
    pub fn fail_all(&self) {
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        drop(waiting);
    }
}
