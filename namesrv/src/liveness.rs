//! The liveness scan (REMOTING.md §4.8): every `scanNotActiveBrokerInterval`
//! drop the brokers not heard from within their timeout. Brokers whose
//! connection closes are dropped at once by the processor's close callback.

use std::rc::Rc;
use std::time::{Duration, Instant};

use thrust_net::Event;

use crate::processor::NameServer;

/// Runs the scan until `stop` is set. The interval is read again before each
/// wait, so UPDATE_NAMESRV_CONFIG changes it at run time.
pub async fn run_scan(server: Rc<NameServer>, stop: Rc<Event>) {
    loop {
        let interval = Duration::from_millis(server.config().scan_interval_ms.max(1));
        let stopped = futures_lite::future::or(
            async {
                glommio::timer::sleep(interval).await;
                false
            },
            async {
                stop.wait().await;
                true
            },
        )
        .await;
        if stopped {
            return;
        }
        let expired = server.expire_brokers(Instant::now());
        if expired > 0 {
            log::info!("liveness scan dropped {expired} brokers");
        }
    }
}
