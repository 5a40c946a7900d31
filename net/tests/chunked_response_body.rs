//! A response body made of several buffers (a small one, and large ones
//! sent from their own memory with vectored writes) arrives byte-exact,
//! including when the socket fills and the writer has to wait and resume
//! mid-buffer; several such responses in flight on one connection do not
//! interleave.

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use glommio::{LocalExecutorBuilder, Placement};
use thrust_core::frame::RemotingCommand;
use thrust_net::{
    Client, ClientConfig, ConnectionContext, RequestHandler, Response, Server, ServerConfig,
    ShutdownFlag,
};

/// Deterministic content for chunk `index` of response `seed`.
fn chunk(seed: u8, index: u8, len: usize) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed ^ index))
        .collect()
}

fn chunks(seed: u8) -> Vec<Bytes> {
    vec![
        chunk(seed, 1, 2 * 1024 * 1024 + 3),
        chunk(seed, 2, 17),
        chunk(seed, 3, 3 * 1024 * 1024),
    ]
}

struct Handler;

impl RequestHandler for Handler {
    async fn handle(&self, _ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        let seed = request.code as u8;
        let head = request.response_to(0, None).with_body(chunk(seed, 0, 100));
        Some(Response::with_chunks(head, chunks(seed)))
    }
}

#[test]
fn multi_buffer_bodies_arrive_byte_exact() {
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .make()
        .unwrap();
    executor.run(async {
        let server = Server::bind(ServerConfig::new("127.0.0.1:0".parse().unwrap())).unwrap();
        let addr = server.local_addr();
        let shutdown = ShutdownFlag::new();
        let serving = glommio::spawn_local(server.serve(Rc::new(Handler), shutdown.clone()));
        let client = Rc::new(Client::new(addr, ClientConfig::default()));
        let tasks: Vec<_> = (1..=4_u8)
            .map(|seed| {
                let client = client.clone();
                glommio::spawn_local(async move {
                    let request = RemotingCommand::request(i32::from(seed));
                    let response = client
                        .request(request, Duration::from_secs(30))
                        .await
                        .unwrap();
                    let mut expected = chunk(seed, 0, 100).to_vec();
                    for piece in chunks(seed) {
                        expected.extend_from_slice(&piece);
                    }
                    assert_eq!(response.body.len(), expected.len());
                    assert!(response.body[..] == expected[..], "body {seed} differs");
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        shutdown.trigger();
        serving.await;
    });
}
