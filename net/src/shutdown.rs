//! SIGTERM/SIGINT to a flag that servers await.
//!
//! glommio has no signal API, so `signal-hook` sets an atomic flag from the
//! signal handler and [`ShutdownFlag::wait`] polls it on a glommio timer.
//! The flag is `Send + Sync` (control plane only; one atomic load per poll
//! interval), so one flag can be cloned into every shard.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often [`ShutdownFlag::wait`] looks at the flag by default.
pub const SHUTDOWN_POLL_INTERVAL_MS: u64 = 50;

/// A process-wide "please stop" flag, set by a signal or by [`ShutdownFlag::trigger`].
#[derive(Clone, Default, Debug)]
pub struct ShutdownFlag {
    flag: Arc<AtomicBool>,
}

impl ShutdownFlag {
    /// A new, untriggered flag with no signal attached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes SIGTERM and SIGINT set this flag (instead of killing the process).
    ///
    /// # Errors
    /// The error of `sigaction` if a handler cannot be installed.
    pub fn install_signal_handlers(&self) -> io::Result<()> {
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(signal, self.flag.clone())?;
        }
        Ok(())
    }

    /// Asks every waiter to stop.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::Release);
    }

    /// Whether a stop was requested.
    pub fn is_triggered(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Completes once a stop was requested; checks every `poll_interval`.
    /// Must run inside a glommio executor.
    pub async fn wait(&self, poll_interval: Duration) {
        assert!(!poll_interval.is_zero());
        while !self.is_triggered() {
            glommio::timer::sleep(poll_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_trigger() {
        let flag = ShutdownFlag::new();
        let other = flag.clone();
        assert!(!other.is_triggered());
        flag.trigger();
        assert!(other.is_triggered());
    }
}
