//! The client's failure paths: a request nobody answers fails with
//! `Timeout` (and the connection stays usable); once the server stops,
//! requests fail with a connection error; once a server listens on the
//! same address again, the same `Client` reconnects by itself. Also checks
//! that `ensure_port_free` refuses the port while a server holds it.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use glommio::{LocalExecutorBuilder, Placement};
use thrust_core::frame::RemotingCommand;
use thrust_net::{
    ensure_port_free, Client, ClientConfig, ConnectionContext, NetError, RequestHandler, Response,
    Server, ServerConfig, ShutdownFlag,
};

const SILENT: i32 = 7;

struct Handler;

impl RequestHandler for Handler {
    async fn handle(&self, _ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        if request.code == SILENT {
            return None;
        }
        Some(Response::new(request.response_to(0, None)))
    }
}

fn start(addr: SocketAddr) -> (SocketAddr, ShutdownFlag, glommio::Task<()>) {
    let server = Server::bind(ServerConfig::new(addr)).unwrap();
    let addr = server.local_addr();
    let shutdown = ShutdownFlag::new();
    let task = glommio::spawn_local(server.serve(Rc::new(Handler), shutdown.clone()));
    (addr, shutdown, task)
}

#[test]
fn timeout_then_server_restart_and_reconnect() {
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .make()
        .unwrap();
    executor.run(async {
        let wanted = ensure_port_free("127.0.0.1:0".parse().unwrap()).unwrap();
        let (addr, shutdown, serving) = start(wanted);
        assert!(matches!(
            ensure_port_free(addr),
            Err(NetError::AddrInUse { .. })
        ));
        let client = Client::new(addr, ClientConfig::default());
        let timeout = Duration::from_millis(200);
        let silent = client
            .request(RemotingCommand::request(SILENT), timeout)
            .await;
        assert!(
            matches!(silent, Err(NetError::Timeout { .. })),
            "{silent:?}"
        );
        let answered = client
            .request(RemotingCommand::request(1), Duration::from_secs(10))
            .await;
        assert_eq!(answered.unwrap().code, 0);

        shutdown.trigger();
        serving.await;
        let refused = client
            .request(RemotingCommand::request(1), Duration::from_secs(10))
            .await;
        assert!(refused.is_err(), "{refused:?}");

        let (_, shutdown, serving) = start(addr);
        let mut reconnected = None;
        for _ in 0..50 {
            match client
                .request(RemotingCommand::request(1), Duration::from_secs(10))
                .await
            {
                Ok(response) => {
                    reconnected = Some(response);
                    break;
                }
                Err(_) => glommio::timer::sleep(Duration::from_millis(50)).await,
            }
        }
        assert_eq!(reconnected.map(|r| r.code), Some(0));
        shutdown.trigger();
        serving.await;
    });
}
