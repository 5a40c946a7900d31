//! Responses complete out of order: each request runs as its own task, so a
//! request that waits (long-poll style) does not hold back a later one on
//! the same connection. Request A's handler waits until request B's handler
//! has run; B's response must therefore arrive first, and each response is
//! matched to its request by opaque. Deterministic (an event, not a sleep).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use glommio::{LocalExecutorBuilder, Placement};
use thrust_core::frame::RemotingCommand;
use thrust_net::{
    Client, ClientConfig, ConnectionContext, Event, RequestHandler, Response, Server, ServerConfig,
    ShutdownFlag,
};

const SLOW: i32 = 1;
const FAST: i32 = 2;

struct Handler {
    fast_ran: Event,
}

impl RequestHandler for Handler {
    async fn handle(&self, _ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        if request.code == SLOW {
            self.fast_ran.wait().await;
        } else {
            self.fast_ran.set();
        }
        let body = Bytes::from(format!("answer to {}", request.code));
        Some(Response::new(request.response_to(0, None).with_body(body)))
    }
}

#[test]
fn later_request_completes_before_a_waiting_one() {
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .make()
        .unwrap();
    executor.run(async {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let server = Server::bind(ServerConfig::new(addr)).unwrap();
        let addr = server.local_addr();
        let shutdown = ShutdownFlag::new();
        let serving = glommio::spawn_local(server.serve(
            Rc::new(Handler {
                fast_ran: Event::new(),
            }),
            shutdown.clone(),
        ));
        let client = Rc::new(Client::new(addr, ClientConfig::default()));
        let order = Rc::new(RefCell::new(Vec::new()));
        let task = |code: i32| {
            let (client, order) = (client.clone(), order.clone());
            glommio::spawn_local(async move {
                let request = RemotingCommand::request(code);
                let response = client
                    .request(request, Duration::from_secs(10))
                    .await
                    .unwrap();
                assert_eq!(response.body, Bytes::from(format!("answer to {code}")));
                order.borrow_mut().push(code);
            })
        };
        let slow = task(SLOW);
        glommio::yield_if_needed().await;
        let fast = task(FAST);
        fast.await;
        slow.await;
        assert_eq!(*order.borrow(), [FAST, SLOW]);
        shutdown.trigger();
        serving.await;
    });
}
