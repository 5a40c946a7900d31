//! Finding the brokers and queues of a topic through the name servers
//! (GET_ROUTEINFO_BY_TOPIC, REMOTING.md §4.1), and creating the topic.
//!
//! A topic with no route is handled in one of two ways, chosen by the user:
//! - `--create-topic`: the bench asks a name server for the cluster
//!   (GET_BROKER_CLUSTER_INFO), sends UPDATE_AND_CREATE_TOPIC (§3.15) with
//!   `--queues` read and write queues to every master, and waits (bounded)
//!   until the route appears. This is what the compare script uses, so both
//!   systems get the same queue count.
//! - otherwise, like the Java client: it takes the route of `TBW102` and
//!   sends with `defaultTopic=TBW102`, `defaultTopicQueueNums=4`, so a broker
//!   with auto-create on creates the topic at the first send. Queues used:
//!   `min(4, TBW102's write queues)` per broker, as Java does.
//!
//! The route is read once at start; brokers that join later are not used.

use std::net::SocketAddr;
use std::time::Duration;

use thrust_core::body::{ClusterInfo, JsonBody, TopicRouteData};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{CommandHeader, CreateTopicRequestHeader, TopicFilterType};
use thrust_core::message::perm::{is_readable, is_writeable, PERM_READ_WRITE};
use thrust_net::{Client, ClientConfig};

use crate::error::BenchError;

/// Template topic of the Java client's auto-create path.
pub const AUTO_CREATE_TOPIC: &str = "TBW102";
/// Queue count the Java client asks for when auto-creating.
pub const AUTO_CREATE_QUEUE_NUMS: i32 = 4;
/// Bound of one set-up request.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `--create-topic` waits for the new route to show up.
pub const ROUTE_WAIT_MAX: Duration = Duration::from_secs(30);
const ROUTE_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// One message queue of the topic on one broker master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTarget {
    /// Broker name.
    pub broker_name: String,
    /// Master address.
    pub addr: SocketAddr,
    /// Queue id.
    pub queue_id: i32,
}

/// Where to send or pull: the queues, and the default topic for sends.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Queues, broker by broker, queue id ascending.
    pub queues: Vec<QueueTarget>,
    /// `defaultTopic` of send headers.
    pub default_topic: String,
}

impl Targets {
    /// The distinct broker addresses, in queue order.
    pub fn broker_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs: Vec<SocketAddr> = Vec::new();
        for queue in &self.queues {
            if !addrs.contains(&queue.addr) {
                addrs.push(queue.addr);
            }
        }
        addrs
    }
}

/// Which queue count of a route is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Write queues of writable brokers (producers).
    Write,
    /// Read queues of readable brokers (consumers).
    Read,
}

/// Parses a `;`-separated name server list (`host:port;host:port`).
///
/// # Errors
/// [`BenchError::Address`] for an entry that is not `ip:port`.
pub fn parse_addrs(list: &str) -> Result<Vec<SocketAddr>, BenchError> {
    let addrs: Result<Vec<SocketAddr>, BenchError> = list
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_addr)
        .collect();
    let addrs = addrs?;
    if addrs.is_empty() {
        return Err(BenchError::Address {
            text: list.to_owned(),
            reason: "empty list".to_owned(),
        });
    }
    Ok(addrs)
}

fn parse_addr(text: &str) -> Result<SocketAddr, BenchError> {
    use std::net::ToSocketAddrs;
    let mut found = text.to_socket_addrs().map_err(|err| BenchError::Address {
        text: text.to_owned(),
        reason: err.to_string(),
    })?;
    found.next().ok_or_else(|| BenchError::Address {
        text: text.to_owned(),
        reason: "resolves to nothing".to_owned(),
    })
}

/// Asks the name servers in turn for the route of `topic`. `Ok(None)` means
/// a name server answered TOPIC_NOT_EXIST.
///
/// # Errors
/// The last network, refusal or decode error when no name server answered.
pub async fn query_route(
    name_servers: &[SocketAddr],
    topic: &str,
) -> Result<Option<TopicRouteData>, BenchError> {
    let mut last_error = None;
    for &addr in name_servers {
        let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
            .with_ext_field("topic", topic);
        match call(addr, request, "GET_ROUTEINFO_BY_TOPIC").await {
            Ok(response) => {
                let route = TopicRouteData::decode(&response.body).map_err(|source| {
                    BenchError::Decode {
                        what: "route",
                        addr,
                        source,
                    }
                })?;
                return Ok(Some(route));
            }
            Err(BenchError::Refused { code, .. }) if code == ResponseCode::TOPIC_NOT_EXIST.0 => {
                return Ok(None);
            }
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| BenchError::NoRoute {
        topic: topic.to_owned(),
        reason: "no name server given".to_owned(),
    }))
}

/// Sends one set-up request on a fresh connection and checks for SUCCESS.
async fn call(
    addr: SocketAddr,
    request: RemotingCommand,
    what: &'static str,
) -> Result<RemotingCommand, BenchError> {
    let client = Client::new(addr, ClientConfig::default());
    let response = client
        .request(request, SETUP_TIMEOUT)
        .await
        .map_err(|source| BenchError::Net { addr, source })?;
    client.close();
    if response.code != ResponseCode::SUCCESS.0 {
        return Err(BenchError::Refused {
            what,
            addr,
            code: response.code,
            remark: response.remark.clone().unwrap_or_default(),
        });
    }
    Ok(response)
}

/// The queues of `route` (masters only), for `usage`; at most
/// `queues_per_broker_max` per broker.
pub fn queues_of(
    route: &TopicRouteData,
    usage: Use,
    queues_per_broker_max: i32,
) -> Vec<QueueTarget> {
    let mut queues = Vec::new();
    let mut datas = route.queue_datas.clone();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    for data in &datas {
        let (allowed, count) = match usage {
            Use::Write => (is_writeable(data.perm), data.write_queue_nums),
            Use::Read => (is_readable(data.perm), data.read_queue_nums),
        };
        if !allowed {
            continue;
        }
        let broker = route
            .broker_datas
            .iter()
            .find(|b| b.broker_name == data.broker_name);
        let Some(addr_text) = broker.and_then(|b| b.master_addr()) else {
            continue;
        };
        let Ok(addr) = parse_addr(addr_text) else {
            log::warn!(
                "broker {} has a bad address {addr_text:?}",
                data.broker_name
            );
            continue;
        };
        for queue_id in 0..count.min(queues_per_broker_max).max(0) {
            queues.push(QueueTarget {
                broker_name: data.broker_name.clone(),
                addr,
                queue_id,
            });
        }
    }
    queues
}

/// How to find or make the topic's queues.
#[derive(Debug, Clone, Copy)]
pub struct RouteOptions {
    /// Create the topic on every master when it has no route.
    pub create_topic: bool,
    /// Queue count of a created topic.
    pub queues: i32,
}

/// The queues to use for `topic`.
///
/// # Errors
/// [`BenchError::NoRoute`] when the topic (or TBW102) has no usable queue,
/// and the errors of the requests.
pub async fn resolve(
    name_servers: &[SocketAddr],
    topic: &str,
    usage: Use,
    options: RouteOptions,
) -> Result<Targets, BenchError> {
    if let Some(route) = query_route(name_servers, topic).await? {
        let queues = queues_of(&route, usage, i32::MAX);
        if !queues.is_empty() {
            return Ok(Targets {
                queues,
                default_topic: AUTO_CREATE_TOPIC.to_owned(),
            });
        }
    }
    if options.create_topic {
        create_topic(name_servers, topic, options.queues).await?;
        return wait_for_route(name_servers, topic, usage).await;
    }
    if usage == Use::Read {
        return Err(BenchError::NoRoute {
            topic: topic.to_owned(),
            reason: "consumers need an existing topic (or --create-topic)".to_owned(),
        });
    }
    let template = query_route(name_servers, AUTO_CREATE_TOPIC).await?;
    let queues = template
        .map(|route| queues_of(&route, Use::Write, AUTO_CREATE_QUEUE_NUMS))
        .unwrap_or_default();
    if queues.is_empty() {
        return Err(BenchError::NoRoute {
            topic: topic.to_owned(),
            reason: "no route for TBW102 either (auto-create off?); use --create-topic".to_owned(),
        });
    }
    Ok(Targets {
        queues,
        default_topic: AUTO_CREATE_TOPIC.to_owned(),
    })
}

async fn wait_for_route(
    name_servers: &[SocketAddr],
    topic: &str,
    usage: Use,
) -> Result<Targets, BenchError> {
    let polls_max = ROUTE_WAIT_MAX.as_millis() / ROUTE_POLL_INTERVAL.as_millis();
    for _ in 0..polls_max {
        if let Some(route) = query_route(name_servers, topic).await? {
            let queues = queues_of(&route, usage, i32::MAX);
            if !queues.is_empty() {
                return Ok(Targets {
                    queues,
                    default_topic: AUTO_CREATE_TOPIC.to_owned(),
                });
            }
        }
        glommio::timer::sleep(ROUTE_POLL_INTERVAL).await;
    }
    Err(BenchError::NoRoute {
        topic: topic.to_owned(),
        reason: format!("created, but no route after {} s", ROUTE_WAIT_MAX.as_secs()),
    })
}

/// Sends UPDATE_AND_CREATE_TOPIC for `topic` to every master the name
/// servers know.
///
/// # Errors
/// The first failed request; [`BenchError::NoRoute`] if no master is known.
pub async fn create_topic(
    name_servers: &[SocketAddr],
    topic: &str,
    queues: i32,
) -> Result<(), BenchError> {
    let mut masters: Vec<SocketAddr> = Vec::new();
    for &ns in name_servers {
        let request = RemotingCommand::request(RequestCode::GET_BROKER_CLUSTER_INFO.0);
        let response = call(ns, request, "GET_BROKER_CLUSTER_INFO").await?;
        let info = ClusterInfo::decode(&response.body).map_err(|source| BenchError::Decode {
            what: "cluster info",
            addr: ns,
            source,
        })?;
        for broker in info.broker_addr_table.values() {
            if let Some(addr) = broker.master_addr().and_then(|a| parse_addr(a).ok()) {
                if !masters.contains(&addr) {
                    masters.push(addr);
                }
            }
        }
    }
    if masters.is_empty() {
        return Err(BenchError::NoRoute {
            topic: topic.to_owned(),
            reason: "no broker master registered with the name servers".to_owned(),
        });
    }
    for addr in masters {
        let header = CreateTopicRequestHeader {
            topic: topic.to_owned(),
            default_topic: AUTO_CREATE_TOPIC.to_owned(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: PERM_READ_WRITE,
            topic_filter_type: TopicFilterType::default(),
            order: false,
            ..Default::default()
        };
        let request = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC.0)
            .with_ext_fields(header.encode());
        call(addr, request, "UPDATE_AND_CREATE_TOPIC").await?;
        log::info!("created topic {topic} with {queues} queues on {addr}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use thrust_core::body::{BrokerData, QueueData};

    fn route() -> TopicRouteData {
        let broker = |name: &str, port: u16| BrokerData {
            broker_addrs: BTreeMap::from([(0, format!("127.0.0.1:{port}"))]),
            broker_name: name.to_owned(),
            cluster: "c".to_owned(),
            ..Default::default()
        };
        let queue = |name: &str, perm: i32| QueueData {
            broker_name: name.to_owned(),
            perm,
            read_queue_nums: 2,
            write_queue_nums: 3,
            ..Default::default()
        };
        TopicRouteData {
            broker_datas: vec![broker("b", 2), broker("a", 1)],
            queue_datas: vec![queue("b", PERM_READ_WRITE), queue("a", 4)],
            ..Default::default()
        }
    }

    #[test]
    fn write_queues_skip_read_only_brokers() {
        let queues = queues_of(&route(), Use::Write, i32::MAX);
        let ids: Vec<(&str, i32)> = queues
            .iter()
            .map(|q| (q.broker_name.as_str(), q.queue_id))
            .collect();
        assert_eq!(ids, [("b", 0), ("b", 1), ("b", 2)]);
    }

    #[test]
    fn read_queues_come_broker_by_broker_in_name_order() {
        let queues = queues_of(&route(), Use::Read, i32::MAX);
        let ids: Vec<(&str, i32)> = queues
            .iter()
            .map(|q| (q.broker_name.as_str(), q.queue_id))
            .collect();
        assert_eq!(ids, [("a", 0), ("a", 1), ("b", 0), ("b", 1)]);
        assert_eq!(queues[0].addr.port(), 1);
    }

    #[test]
    fn name_server_lists_split_on_semicolons() {
        let addrs = parse_addrs("127.0.0.1:9876; 127.0.0.1:9877;").unwrap();
        assert_eq!(addrs.len(), 2);
        assert!(parse_addrs("").is_err());
        assert!(parse_addrs("nonsense").is_err());
    }
}
