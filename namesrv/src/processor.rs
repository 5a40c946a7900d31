//! The name server's request handler: decodes each request's header and
//! body, applies it to the registry or the KV table and builds the answer
//! (REMOTING.md §4). One [`NameServer`] per process, on its only shard.
//!
//! Errors follow Java: a missing or unparsable header field or body answers
//! SYSTEM_ERROR (1) with the decode error as remark; an unknown code answers
//! REQUEST_CODE_NOT_SUPPORTED (3).
//!
//! Routes are the hot path (every client asks every 30 s per topic): their
//! encoded JSON is cached per topic and the cache is dropped on any change
//! to the registry, the KV table or the configuration.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use glommio::sync::Semaphore;
use thrust_core::body::{
    ClusterInfo, DataVersion, JsonBody, KVTable, RegisterBrokerBody, TopicList, TopicRouteData,
};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::namesrv::*;
use thrust_core::header::CommandHeader;
use thrust_core::DecodeError;
use thrust_net::{ConnectionContext, RequestHandler, Response};

use crate::config::NamesrvConfig;
use crate::kv_config::{self, KvConfig, ORDER_TOPIC_CONFIG};
use crate::registry::{BrokerAddrKey, Registration, RouteRegistry};

/// A request that cannot be served: the response code and remark.
struct Failure {
    code: ResponseCode,
    remark: String,
}

impl Failure {
    fn new(code: ResponseCode, remark: impl Into<String>) -> Self {
        Self {
            code,
            remark: remark.into(),
        }
    }
}

impl From<DecodeError> for Failure {
    fn from(err: DecodeError) -> Self {
        Failure::new(ResponseCode::SYSTEM_ERROR, err.to_string())
    }
}

type Outcome = Result<RemotingCommand, Failure>;

/// The name server's state and request handler.
pub struct NameServer {
    config: RefCell<NamesrvConfig>,
    registry: RefCell<RouteRegistry>,
    kv: RefCell<KvConfig>,
    /// Serialises KV file writes so that the last write holds the last state.
    kv_persist: Rc<Semaphore>,
    route_cache: RefCell<HashMap<String, Bytes>>,
}

fn ok(request: &RemotingCommand) -> RemotingCommand {
    request.response_to(ResponseCode::SUCCESS.0, None)
}

impl NameServer {
    /// A name server with `config` and the KV table loaded from its file.
    pub fn new(config: NamesrvConfig, kv: KvConfig) -> Self {
        Self {
            config: RefCell::new(config),
            registry: RefCell::new(RouteRegistry::new()),
            kv: RefCell::new(kv),
            kv_persist: Rc::new(Semaphore::new(1)),
            route_cache: RefCell::new(HashMap::new()),
        }
    }

    /// The current configuration.
    pub fn config(&self) -> NamesrvConfig {
        self.config.borrow().clone()
    }

    /// Drops expired brokers (the liveness scan); returns how many.
    pub fn expire_brokers(&self, now: Instant) -> usize {
        let expired = self.registry.borrow_mut().expire(now);
        if !expired.is_empty() {
            self.invalidate();
        }
        expired.len()
    }

    fn invalidate(&self) {
        self.route_cache.borrow_mut().clear();
    }

    async fn process(&self, ctx: &ConnectionContext, request: &RemotingCommand) -> Outcome {
        match request.request_code() {
            RequestCode::GET_ROUTEINFO_BY_TOPIC => self.get_route(request),
            RequestCode::REGISTER_BROKER => self.register_broker(ctx, request),
            RequestCode::UNREGISTER_BROKER => self.unregister_broker(request),
            RequestCode::QUERY_DATA_VERSION => self.query_data_version(request),
            RequestCode::BROKER_HEARTBEAT => self.broker_heartbeat(request),
            RequestCode::GET_BROKER_CLUSTER_INFO => Ok(self.cluster_info(request)),
            RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => self.all_topics(request),
            RequestCode::GET_TOPICS_BY_CLUSTER => self.topics_by_cluster(request),
            RequestCode::GET_SYSTEM_TOPIC_LIST_FROM_NS => Ok(self.system_topics(request)),
            RequestCode::DELETE_TOPIC_IN_NAMESRV => self.delete_topic(request),
            RequestCode::REGISTER_TOPIC_IN_NAMESRV => self.register_topic(request),
            RequestCode::WIPE_WRITE_PERM_OF_BROKER => self.write_perm(request, false),
            RequestCode::ADD_WRITE_PERM_OF_BROKER => self.write_perm(request, true),
            RequestCode::PUT_KV_CONFIG => self.put_kv(request).await,
            RequestCode::GET_KV_CONFIG => self.get_kv(request),
            RequestCode::DELETE_KV_CONFIG => self.delete_kv(request).await,
            RequestCode::GET_KVLIST_BY_NAMESPACE => self.kv_list(request),
            RequestCode::UPDATE_NAMESRV_CONFIG => self.update_config(request),
            RequestCode::GET_NAMESRV_CONFIG => Ok(self.get_config(request)),
            _ => Ok(Response::not_supported(request).command),
        }
    }

    fn get_route(&self, request: &RemotingCommand) -> Outcome {
        let header = GetRouteInfoRequestHeader::from_ext_fields(&request.ext_fields)?;
        if let Some(body) = self.route_cache.borrow().get(&header.topic) {
            return Ok(ok(request).with_body(body.clone()));
        }
        let Some(mut route) = self.registry.borrow().route(&header.topic) else {
            let remark = format!(
                "No topic route info in name server for the topic: {}\n\
                 See http://rocketmq.apache.org/docs/faq/ for further details.",
                header.topic
            );
            return Err(Failure::new(ResponseCode::TOPIC_NOT_EXIST, remark));
        };
        if self.config.borrow().order_message_enable {
            let kv = self.kv.borrow();
            route.order_topic_conf = kv.get(ORDER_TOPIC_CONFIG, &header.topic).map(str::to_owned);
        }
        // Always standard compact JSON, whatever the requester's version (§4.1).
        let body = Bytes::from(route.encode());
        self.route_cache
            .borrow_mut()
            .insert(header.topic, body.clone());
        Ok(ok(request).with_body(body))
    }

    fn register_broker(&self, ctx: &ConnectionContext, request: &RemotingCommand) -> Outcome {
        let header = RegisterBrokerRequestHeader::from_ext_fields(&request.ext_fields)?;
        if header.body_crc32 != 0 {
            let crc = (crc32fast::hash(&request.body) & 0x7FFF_FFFF) as i32;
            if crc != header.body_crc32 {
                log::warn!(
                    "{ctx:?}: register body crc {crc} != header {}",
                    header.body_crc32
                );
                return Err(Failure::new(ResponseCode::SYSTEM_ERROR, "crc32 not match"));
            }
        }
        if header.compressed {
            let remark = "compressed registration bodies are not supported; \
                          set compressedRegister=false on the broker";
            return Err(Failure::new(ResponseCode::SYSTEM_ERROR, remark));
        }
        let topics = if request.body.is_empty() {
            None
        } else {
            let wrapper = RegisterBrokerBody::decode(&request.body)?.topic_config_serialize_wrapper;
            Some((
                wrapper.data_version,
                wrapper.topic_config_table.into_values().collect(),
            ))
        };
        let config = self.config.borrow().clone();
        let timeout_ms = header
            .heartbeat_timeout_millis
            .and_then(|ms| u64::try_from(ms).ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(config.broker_timeout_ms);
        let registration = Registration {
            cluster: header.cluster_name,
            broker_name: header.broker_name,
            broker_addr: header.broker_addr,
            broker_id: header.broker_id,
            ha_server_addr: header.ha_server_addr,
            timeout: Duration::from_millis(timeout_ms),
            enable_acting_master: header.enable_acting_master.unwrap_or(false),
            zone_name: header.zone_name,
            topics,
            connection: Some(ctx.id()),
        };
        let result = self
            .registry
            .borrow_mut()
            .register(registration, Instant::now());
        self.invalidate();
        let result = result.map_err(|err| {
            log::warn!("{ctx:?}: {err}");
            Failure::new(ResponseCode::SYSTEM_ERROR, "register broker failed")
        })?;
        let response_header = RegisterBrokerResponseHeader {
            ha_server_addr: result.ha_server_addr,
            master_addr: result.master_addr,
        };
        let mut response = ok(request).with_ext_fields(response_header.encode());
        if config.return_order_topic_config_to_broker {
            if let Some(table) = self.kv.borrow().namespace(ORDER_TOPIC_CONFIG) {
                response = response.with_body(Bytes::from(
                    KVTable {
                        table: table.clone(),
                    }
                    .encode(),
                ));
            }
        }
        Ok(response)
    }

    fn unregister_broker(&self, request: &RemotingCommand) -> Outcome {
        let header = UnRegisterBrokerRequestHeader::from_ext_fields(&request.ext_fields)?;
        self.registry.borrow_mut().unregister(
            &header.cluster_name,
            &header.broker_addr,
            &header.broker_name,
            header.broker_id,
        );
        self.invalidate();
        Ok(ok(request))
    }

    fn query_data_version(&self, request: &RemotingCommand) -> Outcome {
        let header = QueryDataVersionRequestHeader::from_ext_fields(&request.ext_fields)?;
        let version = DataVersion::decode(&request.body)?;
        let key = BrokerAddrKey {
            cluster: header.cluster_name,
            addr: header.broker_addr,
        };
        let mut registry = self.registry.borrow_mut();
        let stored = registry.data_version(&key);
        registry.touch(&key, None, Instant::now());
        let changed = stored != Some(version);
        let mut response =
            ok(request).with_ext_fields(QueryDataVersionResponseHeader { changed }.encode());
        if let Some(stored) = stored {
            response = response.with_body(Bytes::from(stored.encode()));
        }
        Ok(response)
    }

    fn broker_heartbeat(&self, request: &RemotingCommand) -> Outcome {
        let header = BrokerHeartbeatRequestHeader::from_ext_fields(&request.ext_fields)?;
        let timeout = header
            .heartbeat_timeout_mills
            .and_then(|ms| u64::try_from(ms).ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let key = BrokerAddrKey {
            cluster: header.cluster_name,
            addr: header.broker_addr,
        };
        if !self
            .registry
            .borrow_mut()
            .touch(&key, timeout, Instant::now())
        {
            log::debug!(
                "heartbeat from unregistered broker {} ({})",
                key.addr,
                key.cluster
            );
        }
        Ok(ok(request))
    }

    fn cluster_info(&self, request: &RemotingCommand) -> RemotingCommand {
        let registry = self.registry.borrow();
        let (brokers, clusters) = registry.cluster_tables();
        let info = ClusterInfo {
            broker_addr_table: brokers.clone(),
            cluster_addr_table: clusters.clone(),
        };
        ok(request).with_body(Bytes::from(info.encode()))
    }

    fn all_topics(&self, request: &RemotingCommand) -> Outcome {
        if !self.config.borrow().enable_all_topic_list {
            return Err(Failure::new(ResponseCode::SYSTEM_ERROR, "disable"));
        }
        let topics = self.registry.borrow().topics();
        Ok(topic_list(request, topics, None))
    }

    fn topics_by_cluster(&self, request: &RemotingCommand) -> Outcome {
        if !self.config.borrow().enable_topic_list {
            return Err(Failure::new(ResponseCode::SYSTEM_ERROR, "disable"));
        }
        let header = GetTopicsByClusterRequestHeader::from_ext_fields(&request.ext_fields)?;
        let topics = self.registry.borrow().topics_of_cluster(&header.cluster);
        Ok(topic_list(request, topics, None))
    }

    fn system_topics(&self, request: &RemotingCommand) -> RemotingCommand {
        let (topics, broker_addr) = self.registry.borrow().system_topics();
        topic_list(request, topics, broker_addr)
    }

    fn delete_topic(&self, request: &RemotingCommand) -> Outcome {
        let header = DeleteTopicFromNamesrvRequestHeader::from_ext_fields(&request.ext_fields)?;
        let cluster = header
            .cluster_name
            .as_deref()
            .filter(|name| !name.is_empty());
        self.registry
            .borrow_mut()
            .delete_topic(&header.topic, cluster);
        self.invalidate();
        Ok(ok(request))
    }

    fn register_topic(&self, request: &RemotingCommand) -> Outcome {
        let header = RegisterTopicRequestHeader::from_ext_fields(&request.ext_fields)?;
        let route = TopicRouteData::decode(&request.body)?;
        let result = self
            .registry
            .borrow_mut()
            .register_topic(&header.topic, route.queue_datas);
        self.invalidate();
        result.map_err(|err| Failure::new(ResponseCode::SYSTEM_ERROR, err.to_string()))?;
        Ok(ok(request))
    }

    fn write_perm(&self, request: &RemotingCommand, add: bool) -> Outcome {
        let (broker_name, fields) = if add {
            let header = AddWritePermOfBrokerRequestHeader::from_ext_fields(&request.ext_fields)?;
            let count = self
                .registry
                .borrow_mut()
                .set_write_perm(&header.broker_name, true);
            (
                header.broker_name,
                AddWritePermOfBrokerResponseHeader {
                    add_topic_count: count,
                }
                .encode(),
            )
        } else {
            let header = WipeWritePermOfBrokerRequestHeader::from_ext_fields(&request.ext_fields)?;
            let count = self
                .registry
                .borrow_mut()
                .set_write_perm(&header.broker_name, false);
            (
                header.broker_name,
                WipeWritePermOfBrokerResponseHeader {
                    wipe_topic_count: count,
                }
                .encode(),
            )
        };
        log::info!(
            "write permission of {broker_name} {}",
            if add { "added" } else { "wiped" }
        );
        self.invalidate();
        Ok(ok(request).with_ext_fields(fields))
    }
}

fn topic_list(
    request: &RemotingCommand,
    topics: std::collections::BTreeSet<String>,
    broker_addr: Option<String>,
) -> RemotingCommand {
    let list = TopicList {
        topic_list: topics,
        broker_addr,
    };
    ok(request).with_body(Bytes::from(list.encode()))
}

impl NameServer {
    async fn persist_kv(&self) -> Result<(), Failure> {
        let _permit = self.kv_persist.acquire_permit(1).await.map_err(|err| {
            Failure::new(
                ResponseCode::SYSTEM_ERROR,
                format!("KV store closed: {err}"),
            )
        })?;
        // Snapshot after taking the permit, so the last write holds the last state.
        let json = self.kv.borrow().to_json();
        let path = self.config.borrow().kv_config_path.clone();
        let written = glommio::executor()
            .spawn_blocking(move || kv_config::persist(&path, &json))
            .await;
        written.map_err(|err| {
            log::error!("{err}");
            Failure::new(ResponseCode::SYSTEM_ERROR, err.to_string())
        })
    }

    async fn put_kv(&self, request: &RemotingCommand) -> Outcome {
        let header = PutKVConfigRequestHeader::from_ext_fields(&request.ext_fields)?;
        let changed = self
            .kv
            .borrow_mut()
            .put(&header.namespace, &header.key, &header.value);
        self.invalidate();
        if changed {
            log::info!(
                "KV put {}/{} = {}",
                header.namespace,
                header.key,
                header.value
            );
            self.persist_kv().await?;
        }
        Ok(ok(request))
    }

    fn get_kv(&self, request: &RemotingCommand) -> Outcome {
        let header = GetKVConfigRequestHeader::from_ext_fields(&request.ext_fields)?;
        let kv = self.kv.borrow();
        let Some(value) = kv.get(&header.namespace, &header.key) else {
            let remark = format!(
                "No config item, Namespace: {} Key: {}",
                header.namespace, header.key
            );
            return Err(Failure::new(ResponseCode::QUERY_NOT_FOUND, remark));
        };
        let fields = GetKVConfigResponseHeader {
            value: Some(value.to_owned()),
        }
        .encode();
        Ok(ok(request).with_ext_fields(fields))
    }

    async fn delete_kv(&self, request: &RemotingCommand) -> Outcome {
        let header = DeleteKVConfigRequestHeader::from_ext_fields(&request.ext_fields)?;
        let removed = self.kv.borrow_mut().delete(&header.namespace, &header.key);
        self.invalidate();
        if removed {
            log::info!("KV delete {}/{}", header.namespace, header.key);
            self.persist_kv().await?;
        }
        Ok(ok(request))
    }

    fn kv_list(&self, request: &RemotingCommand) -> Outcome {
        let header = GetKVListByNamespaceRequestHeader::from_ext_fields(&request.ext_fields)?;
        let kv = self.kv.borrow();
        let Some(table) = kv.namespace(&header.namespace) else {
            let remark = format!("No config item, Namespace: {}", header.namespace);
            return Err(Failure::new(ResponseCode::QUERY_NOT_FOUND, remark));
        };
        let body = KVTable {
            table: table.clone(),
        }
        .encode();
        Ok(ok(request).with_body(Bytes::from(body)))
    }

    fn update_config(&self, request: &RemotingCommand) -> Outcome {
        let text = std::str::from_utf8(&request.body).map_err(|err| {
            Failure::new(
                ResponseCode::SYSTEM_ERROR,
                format!("config body is not UTF-8: {err}"),
            )
        })?;
        let origin = format!("UPDATE_NAMESRV_CONFIG from request {}", request.opaque);
        self.config
            .borrow_mut()
            .update_from(&origin, text)
            .map_err(|err| Failure::new(ResponseCode::NO_PERMISSION, err.to_string()))?;
        log::info!("configuration updated: {}", text.replace('\n', "; "));
        self.invalidate();
        Ok(ok(request))
    }

    fn get_config(&self, request: &RemotingCommand) -> RemotingCommand {
        let text = self.config.borrow().to_properties();
        ok(request).with_body(Bytes::from(text))
    }
}

impl RequestHandler for NameServer {
    async fn handle(&self, ctx: &ConnectionContext, request: RemotingCommand) -> Option<Response> {
        let response = match self.process(ctx, &request).await {
            Ok(response) => response,
            Err(failure) => request.response_to(failure.code.0, Some(failure.remark)),
        };
        Some(Response::new(response))
    }

    fn on_connection_closed(&self, ctx: &ConnectionContext) {
        let gone = self.registry.borrow_mut().connection_closed(ctx.id());
        if !gone.is_empty() {
            self.invalidate();
        }
    }
}
