//! Bounded connections: with `connections_max = 2`, a third connection is
//! closed at accept (the peer reads EOF) while the first two keep being
//! served; once one of them closes, a new connection is served again.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use glommio::{LocalExecutorBuilder, Placement};
use thrust_core::frame::{decode_frame_from, RemotingCommand};
use thrust_net::{RejectAll, Server, ServerConfig, ShutdownFlag};

/// Sends an unknown request over a blocking socket; `true` if it was
/// answered, `false` on EOF or reset.
fn answered(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = RemotingCommand::request(4242).with_opaque(1);
    if stream.write_all(&request.encode()).is_err() {
        return false;
    }
    let mut buf = bytes::BytesMut::new();
    loop {
        if let Ok(Some(frame)) = decode_frame_from(&mut buf) {
            return frame.opaque == 1;
        }
        let mut chunk = [0_u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == ErrorKind::ConnectionReset => return false,
            Err(err) => panic!("read failed: {err}"),
        }
    }
}

#[test]
fn connection_over_the_limit_is_closed_at_accept() {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let shutdown = ShutdownFlag::new();
    let server_shutdown = shutdown.clone();
    let server_thread = std::thread::spawn(move || {
        let executor = LocalExecutorBuilder::new(Placement::Unbound)
            .make()
            .unwrap();
        executor.run(async move {
            let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
            config.connections_max = 2;
            let server = Server::bind(config).unwrap();
            addr_tx.send(server.local_addr()).unwrap();
            server.serve(Rc::new(RejectAll), server_shutdown).await;
        });
    });
    let addr = addr_rx.recv().unwrap();
    let mut first = TcpStream::connect(addr).unwrap();
    let mut second = TcpStream::connect(addr).unwrap();
    assert!(answered(&mut first));
    assert!(answered(&mut second));
    let mut third = TcpStream::connect(addr).unwrap();
    assert!(!answered(&mut third));
    assert!(answered(&mut first));

    drop(second);
    let mut served_again = false;
    for _ in 0..100 {
        let mut next = TcpStream::connect(addr).unwrap();
        if answered(&mut next) {
            served_again = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(served_again);
    shutdown.trigger();
    server_thread.join().unwrap();
}
