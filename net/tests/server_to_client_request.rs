//! A handler can call back into its peer over the same connection: the
//! server, while handling request 10, sends request 50 to the client and
//! a oneway 51; the client's handler answers 50 (matched by opaque on the
//! server side) and records 51; the server then answers 10 with what the
//! client said.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use glommio::{LocalExecutorBuilder, Placement};
use thrust_core::frame::RemotingCommand;
use thrust_net::{
    Client, ClientConfig, ConnectionContext, RequestHandler, Response, Server, ServerConfig,
    ShutdownFlag,
};

struct ServerSide;

impl RequestHandler for ServerSide {
    async fn handle(&self, ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        ctx.send_oneway(RemotingCommand::request(51)).unwrap();
        let asked = RemotingCommand::request(50);
        let reply = ctx.request(asked, Duration::from_secs(10)).await.unwrap();
        Some(Response::new(
            request.response_to(0, None).with_body(reply.body),
        ))
    }
}

#[derive(Default)]
struct ClientSide {
    oneways: RefCell<Vec<i32>>,
}

impl RequestHandler for ClientSide {
    async fn handle(&self, _ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        if request.is_oneway() {
            self.oneways.borrow_mut().push(request.code);
            return None;
        }
        let body = Bytes::from_static(b"pong");
        Some(Response::new(request.response_to(0, None).with_body(body)))
    }
}

#[test]
fn server_requests_the_client_during_a_request() {
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .make()
        .unwrap();
    executor.run(async {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let server = Server::bind(ServerConfig::new(addr)).unwrap();
        let addr = server.local_addr();
        let shutdown = ShutdownFlag::new();
        let serving = glommio::spawn_local(server.serve(Rc::new(ServerSide), shutdown.clone()));
        let client_side = Rc::new(ClientSide::default());
        let client = Client::with_handler(addr, ClientConfig::default(), client_side.clone());
        for _ in 0..3 {
            let response = client
                .request(RemotingCommand::request(10), Duration::from_secs(10))
                .await
                .unwrap();
            assert_eq!(&response.body[..], b"pong");
        }
        assert_eq!(*client_side.oneways.borrow(), [51, 51, 51]);
        shutdown.trigger();
        serving.await;
    });
}
