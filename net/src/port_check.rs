//! Detect a listen address already in use before glommio binds it.
//!
//! glommio's `TcpListener::bind` always sets SO_REUSEPORT, so a second
//! process on the same port gets no error and silently shares connections.
//! A std listener (SO_REUSEADDR only, no SO_REUSEPORT) fails with
//! EADDRINUSE when any socket listens on the port, so binding one first and
//! dropping it at once tells us whether the port is free.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::NetError;

/// Checks that nothing listens on `addr` and returns the address to bind:
/// `addr` itself, or, for port 0, the port the kernel just picked (so that
/// every shard then binds the same port).
///
/// There is a short window between this check and the shards' bind; two
/// servers started at the very same moment can still both succeed.
///
/// # Errors
/// [`NetError::AddrInUse`] when another socket listens there,
/// [`NetError::Bind`] for any other bind failure (bad address, permission).
pub fn ensure_port_free(addr: SocketAddr) -> Result<SocketAddr, NetError> {
    let probe = match TcpListener::bind(addr) {
        Ok(probe) => probe,
        Err(source) if source.kind() == io::ErrorKind::AddrInUse => {
            // Sockets that only linger (a killed server's connections in
            // FIN_WAIT, which lack SO_REUSEADDR) also refuse the probe, yet
            // glommio's SO_REUSEPORT bind succeeds and nobody serves the
            // port: only a listener that answers counts as "in use".
            if !something_listens(addr) {
                return Ok(addr);
            }
            return Err(NetError::AddrInUse { addr, source });
        }
        Err(source) => return Err(NetError::Bind { addr, source }),
    };
    let bound = probe
        .local_addr()
        .map_err(|source| NetError::Bind { addr, source })?;
    drop(probe);
    assert!(addr.port() == 0 || bound.port() == addr.port());
    Ok(bound)
}

/// Whether a TCP listener accepts connections on `addr` (its loopback
/// address when `addr` is a wildcard). Anything but "refused" counts as yes.
fn something_listens(addr: SocketAddr) -> bool {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let target = SocketAddr::new(ip, addr.port());
    match TcpStream::connect_timeout(&target, Duration::from_millis(500)) {
        Ok(_) => true,
        Err(error) => error.kind() != io::ErrorKind::ConnectionRefused,
    }
}

/// [`ensure_port_free`], retried every 100 ms for up to `patience` while
/// the port is in use.
///
/// A server killed with SIGKILL can keep its listening socket for a moment
/// after its process is gone: sockets held by in-flight io_uring requests
/// (glommio's pending accept) are released by the kernel's asynchronous
/// ring teardown. A supervisor restarting a crashed broker at once would
/// otherwise be refused; a live server on the port is still reported once
/// `patience` has passed.
///
/// # Errors
/// As [`ensure_port_free`], after `patience` for [`NetError::AddrInUse`].
pub fn wait_port_free(addr: SocketAddr, patience: Duration) -> Result<SocketAddr, NetError> {
    let deadline = Instant::now() + patience;
    let mut warned = false;
    loop {
        match ensure_port_free(addr) {
            Err(NetError::AddrInUse { .. }) if Instant::now() < deadline => {
                if !warned {
                    log::warn!("{addr} is in use; waiting up to {patience:?} for it to be freed");
                    warned = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_is_detected() {
        let holder = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = holder.local_addr().unwrap();
        assert!(matches!(
            ensure_port_free(addr),
            Err(NetError::AddrInUse { .. })
        ));
    }

    #[test]
    fn port_held_only_by_a_connection_is_free_to_listen_on() {
        // A client socket holds its local port without SO_REUSEADDR, so a
        // bind probe on that port fails although nothing listens there
        // (as a killed server's lingering connections do).
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let held = SocketAddr::new(
            Ipv4Addr::UNSPECIFIED.into(),
            client.local_addr().unwrap().port(),
        );
        assert_eq!(ensure_port_free(held).unwrap(), held);
    }

    #[test]
    fn port_held_past_patience_is_reported_in_use() {
        let holder = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = holder.local_addr().unwrap();
        let waited = wait_port_free(addr, Duration::from_millis(300));
        assert!(matches!(waited, Err(NetError::AddrInUse { .. })));
    }

    #[test]
    fn port_freed_while_waiting_is_taken() {
        let holder = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = holder.local_addr().unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(holder);
        });
        let waited = wait_port_free(addr, Duration::from_secs(30));
        release.join().unwrap();
        assert_eq!(waited.unwrap(), addr);
    }

    #[test]
    fn free_port_zero_resolves_to_a_concrete_port() {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let bound = ensure_port_free(addr).unwrap();
        assert_ne!(bound.port(), 0);
    }
}
