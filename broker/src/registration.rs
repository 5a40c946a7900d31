//! Registration with every name server (REMOTING.md §4.2, §4.3): at start,
//! every `registerNameServerPeriod` (30 s), and at once when the topic table
//! changes; UNREGISTER_BROKER on shutdown. Runs on shard 0.

use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::Duration;

use futures_lite::future;
use thrust_core::body::{JsonBody, RegisterBrokerBody};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    CommandHeader, RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader,
};
use thrust_net::{Client, ClientConfig, ShutdownFlag};

use crate::config::BrokerConfig;
use crate::shard::ShardContext;

/// Bound of one request to one name server.
pub const NAMESRV_TIMEOUT_MS: u64 = 3_000;

/// One client per configured name server address that resolves.
pub fn clients(config: &BrokerConfig) -> Vec<Client> {
    let mut out = Vec::new();
    for addr in &config.namesrv_addrs {
        match resolve(addr) {
            Some(socket) => out.push(Client::new(socket, ClientConfig::default())),
            None => log::error!("name server address {addr:?} does not resolve; skipped"),
        }
    }
    out
}

fn resolve(addr: &str) -> Option<SocketAddr> {
    // A DNS lookup may block; it runs once, at start, before serving.
    addr.to_socket_addrs().ok()?.next()
}

fn register_command(shard: &ShardContext) -> RemotingCommand {
    let config = &shard.config;
    let snapshot = shard.topics.borrow().clone();
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: crate::topic_config::to_wire_wrapper(&snapshot),
    }
    .encode();
    let crc = (crc32fast::hash(&body) & 0x7FFF_FFFF) as i32;
    let header = RegisterBrokerRequestHeader {
        broker_name: config.broker_name.clone(),
        broker_addr: config.broker_addr(),
        cluster_name: config.broker_cluster_name.clone(),
        ha_server_addr: config.ha_addr(),
        broker_id: i64::try_from(config.broker_id).unwrap_or(i64::MAX),
        body_crc32: crc,
        ..RegisterBrokerRequestHeader::default()
    };
    RemotingCommand::request(RequestCode::REGISTER_BROKER.0)
        .with_ext_fields(header.encode())
        .with_body(body.into())
}

async fn register_all(shard: &ShardContext, clients: &[Client]) {
    for client in clients {
        let command = register_command(shard);
        match client
            .request(command, Duration::from_millis(NAMESRV_TIMEOUT_MS))
            .await
        {
            Ok(response) if response.code == ResponseCode::SUCCESS.0 => {
                log::debug!("registered with name server {}", client.addr());
            }
            Ok(response) => log::warn!(
                "name server {} refused registration: code {} {:?}",
                client.addr(),
                response.code,
                response.remark
            ),
            Err(err) => log::warn!("registering with name server {}: {err}", client.addr()),
        }
    }
}

/// Registers at start, then periodically and on topic changes, until
/// shutdown.
pub async fn run(shard: Rc<ShardContext>, clients: Rc<Vec<Client>>, shutdown: ShutdownFlag) {
    let Some(control) = shard.control.as_ref() else {
        return;
    };
    let period = Duration::from_millis(shard.config.register_name_server_period_ms);
    while !shutdown.is_triggered() {
        let wakeup = control.register_wakeup();
        register_all(&shard, &clients).await;
        future::or(wakeup.wait(), async {
            future::or(
                glommio::timer::sleep(period),
                shutdown.wait(Duration::from_millis(100)),
            )
            .await
        })
        .await;
    }
}

/// Sends UNREGISTER_BROKER to every name server (shutdown).
pub async fn unregister_all(config: &BrokerConfig, clients: &[Client]) {
    let header = UnRegisterBrokerRequestHeader {
        broker_name: config.broker_name.clone(),
        broker_addr: config.broker_addr(),
        cluster_name: config.broker_cluster_name.clone(),
        broker_id: i64::try_from(config.broker_id).unwrap_or(i64::MAX),
    };
    for client in clients {
        let command = RemotingCommand::request(RequestCode::UNREGISTER_BROKER.0)
            .with_ext_fields(header.encode());
        if let Err(err) = client
            .request(command, Duration::from_millis(NAMESRV_TIMEOUT_MS))
            .await
        {
            log::warn!("unregistering from name server {}: {err}", client.addr());
        }
    }
}
