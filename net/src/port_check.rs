//! Detect a listen address already in use before glommio binds it.
//!
//! glommio's `TcpListener::bind` always sets SO_REUSEPORT, so a second
//! process on the same port gets no error and silently shares connections.
//! A std listener (SO_REUSEADDR only, no SO_REUSEPORT) fails with
//! EADDRINUSE when any socket listens on the port, so binding one first and
//! dropping it at once tells us whether the port is free.

use std::io;
use std::net::{SocketAddr, TcpListener};

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
    fn free_port_zero_resolves_to_a_concrete_port() {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let bound = ensure_port_free(addr).unwrap();
        assert_ne!(bound.port(), 0);
    }
}
