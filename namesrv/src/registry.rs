//! The route-info manager (REMOTING.md §4, §10): which clusters, broker
//! names, broker addresses and topic queues exist, and when each broker
//! was last heard from.
//!
//! Pure data, no I/O: the processor calls it with the current `Instant`
//! and the connection the request came on. Owned by the name server's only
//! shard (no locks). Behaviour follows Java's `RouteInfoManager`:
//! - only masters (id 0) contribute queue data, and only on their first
//!   registration or when their DataVersion changed;
//! - one address lives under one broker id only (a slave promoted to
//!   master drops its old id);
//! - a broker name disappears (with its queue data and cluster entry) when
//!   its last address goes; a slave keeps its broker name alive when the
//!   master goes, so routes keep listing it;
//! - topics are never dropped by a registration that omits them (Java's
//!   `deleteTopicWithBrokerRegistration` defaults to false).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use thrust_core::body::route::MASTER_BROKER_ID;
use thrust_core::body::{BrokerData, DataVersion, QueueData, TopicConfig, TopicRouteData};
use thrust_net::ConnectionId;

/// PermName.PERM_WRITE (§4.9).
pub const PERM_WRITE: i32 = 2;
/// PermName.PERM_READ (§4.9).
pub const PERM_READ: i32 = 4;

/// A broker process: its cluster and address (Java's `BrokerAddrInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrokerAddrKey {
    pub cluster: String,
    pub addr: String,
}

/// When a broker was last heard from and what it last registered.
#[derive(Debug, Clone)]
struct BrokerLiveInfo {
    last_update: Instant,
    timeout: Duration,
    data_version: DataVersion,
    connection: Option<ConnectionId>,
    ha_server_addr: String,
}

/// One REGISTER_BROKER request, decoded.
#[derive(Debug, Clone)]
pub struct Registration {
    pub cluster: String,
    pub broker_name: String,
    pub broker_addr: String,
    pub broker_id: i64,
    pub ha_server_addr: String,
    pub timeout: Duration,
    pub enable_acting_master: bool,
    pub zone_name: Option<String>,
    /// The broker's topic table and its version; `None` without a body.
    pub topics: Option<(DataVersion, Vec<TopicConfig>)>,
    pub connection: Option<ConnectionId>,
}

/// What a registering slave learns about its master.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationResult {
    pub master_addr: Option<String>,
    pub ha_server_addr: Option<String>,
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("broker {broker_name} id {broker_id} at {addr} sent one topic before registering")]
    NotRegistered {
        broker_name: String,
        broker_id: i64,
        addr: String,
    },
    #[error("broker name {broker_name} is not registered")]
    UnknownBrokerName { broker_name: String },
}

/// The routing registry.
#[derive(Debug, Default)]
pub struct RouteRegistry {
    /// topic → broker name → queues.
    topic_queue_table: BTreeMap<String, BTreeMap<String, QueueData>>,
    /// broker name → addresses by id.
    broker_addr_table: BTreeMap<String, BrokerData>,
    /// cluster → broker names.
    cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
    /// (cluster, addr) → liveness.
    broker_live_table: HashMap<BrokerAddrKey, BrokerLiveInfo>,
}

impl RouteRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or refreshes) a broker; see the module doc for the rules.
    ///
    /// # Errors
    /// [`RegistryError::NotRegistered`] for a one-topic registration from an
    /// id not yet registered under its broker name (Java refuses it too).
    pub fn register(
        &mut self,
        registration: Registration,
        now: Instant,
    ) -> Result<RegistrationResult, RegistryError> {
        let Registration {
            cluster,
            broker_name,
            broker_addr,
            broker_id,
            ..
        } = &registration;
        let broker_data = self.broker_addr_table.get(broker_name);
        let known_id = broker_data.is_some_and(|data| data.broker_addrs.contains_key(broker_id));
        let one_topic = registration
            .topics
            .as_ref()
            .is_some_and(|(_, topics)| topics.len() == 1);
        if !known_id && one_topic {
            return Err(RegistryError::NotRegistered {
                broker_name: broker_name.clone(),
                broker_id: *broker_id,
                addr: broker_addr.clone(),
            });
        }
        let first = self.upsert_broker_data(&registration);
        let key = BrokerAddrKey {
            cluster: cluster.clone(),
            addr: broker_addr.clone(),
        };
        if let Some((version, topics)) = &registration.topics {
            let changed = self
                .broker_live_table
                .get(&key)
                .map(|live| live.data_version)
                != Some(*version);
            if *broker_id == MASTER_BROKER_ID && (first || changed) {
                for topic in topics {
                    self.update_queue_data(broker_name, topic);
                }
            }
        }
        let previous_version = self
            .broker_live_table
            .get(&key)
            .map(|live| live.data_version);
        let data_version = registration
            .topics
            .as_ref()
            .map(|(version, _)| *version)
            .or(previous_version)
            .unwrap_or_default();
        let live = BrokerLiveInfo {
            last_update: now,
            timeout: registration.timeout,
            data_version,
            connection: registration.connection,
            ha_server_addr: registration.ha_server_addr.clone(),
        };
        self.broker_live_table.insert(key, live);
        Ok(self.master_of(cluster, broker_name, *broker_id))
    }

    /// Adds the registering address to its broker name and cluster; `true`
    /// if its id had no address before (a first registration).
    fn upsert_broker_data(&mut self, registration: &Registration) -> bool {
        let Registration {
            cluster,
            broker_name,
            broker_addr,
            broker_id,
            ..
        } = registration;
        self.cluster_addr_table
            .entry(cluster.clone())
            .or_default()
            .insert(broker_name.clone());
        let broker_data = self
            .broker_addr_table
            .entry(broker_name.clone())
            .or_insert_with(|| BrokerData {
                broker_name: broker_name.clone(),
                ..BrokerData::default()
            });
        broker_data.cluster = cluster.clone();
        broker_data.enable_acting_master = registration.enable_acting_master;
        if registration.zone_name.is_some() {
            broker_data.zone_name = registration.zone_name.clone();
        }
        // One address under one id: a promoted slave leaves its old id.
        broker_data
            .broker_addrs
            .retain(|id, addr| id == broker_id || addr != broker_addr);
        let old_addr = broker_data
            .broker_addrs
            .insert(*broker_id, broker_addr.clone());
        old_addr.is_none()
    }

    fn update_queue_data(&mut self, broker_name: &str, topic: &TopicConfig) {
        let queue_data = QueueData {
            broker_name: broker_name.to_owned(),
            perm: topic.perm,
            read_queue_nums: topic.read_queue_nums,
            topic_sys_flag: topic.topic_sys_flag,
            write_queue_nums: topic.write_queue_nums,
        };
        let queues = self
            .topic_queue_table
            .entry(topic.topic_name.clone())
            .or_default();
        if queues.get(broker_name) != Some(&queue_data) {
            log::info!(
                "topic {} on {broker_name}: {queue_data:?}",
                topic.topic_name
            );
            queues.insert(broker_name.to_owned(), queue_data);
        }
    }

    fn master_of(&self, cluster: &str, broker_name: &str, broker_id: i64) -> RegistrationResult {
        if broker_id == MASTER_BROKER_ID {
            return RegistrationResult::default();
        }
        let Some(master_addr) = self
            .broker_addr_table
            .get(broker_name)
            .and_then(BrokerData::master_addr)
        else {
            return RegistrationResult::default();
        };
        let key = BrokerAddrKey {
            cluster: cluster.to_owned(),
            addr: master_addr.to_owned(),
        };
        match self.broker_live_table.get(&key) {
            Some(live) => RegistrationResult {
                master_addr: Some(master_addr.to_owned()),
                ha_server_addr: Some(live.ha_server_addr.clone()),
            },
            None => RegistrationResult::default(),
        }
    }

    /// Removes one broker address (UNREGISTER_BROKER, expiry, closed
    /// connection). When its broker name has no address left, the name, its
    /// cluster entry and its queue data go too.
    pub fn unregister(
        &mut self,
        cluster: &str,
        broker_addr: &str,
        broker_name: &str,
        broker_id: i64,
    ) {
        let key = BrokerAddrKey {
            cluster: cluster.to_owned(),
            addr: broker_addr.to_owned(),
        };
        self.broker_live_table.remove(&key);
        let Some(broker_data) = self.broker_addr_table.get_mut(broker_name) else {
            return;
        };
        if broker_data.broker_addrs.get(&broker_id).map(String::as_str) == Some(broker_addr) {
            broker_data.broker_addrs.remove(&broker_id);
        }
        log::info!("unregistered {broker_name} id {broker_id} at {broker_addr} ({cluster})");
        if !broker_data.broker_addrs.is_empty() {
            return;
        }
        self.broker_addr_table.remove(broker_name);
        if let Some(names) = self.cluster_addr_table.get_mut(cluster) {
            names.remove(broker_name);
            if names.is_empty() {
                self.cluster_addr_table.remove(cluster);
            }
        }
        self.topic_queue_table.retain(|_, queues| {
            queues.remove(broker_name);
            !queues.is_empty()
        });
    }

    /// Removes every broker address in `keys` (found by address in the
    /// broker tables, as Java's `onChannelDestroy` does).
    fn unregister_keys(&mut self, keys: Vec<BrokerAddrKey>) -> Vec<BrokerAddrKey> {
        for key in &keys {
            let found = self.broker_addr_table.iter().find_map(|(name, data)| {
                let id = data
                    .broker_addrs
                    .iter()
                    .find(|(_, addr)| **addr == key.addr)?
                    .0;
                Some((name.clone(), *id))
            });
            match found {
                Some((name, id)) => self.unregister(&key.cluster, &key.addr, &name, id),
                None => {
                    self.broker_live_table.remove(key);
                }
            }
        }
        keys
    }

    /// Drops brokers whose last registration is older than their timeout;
    /// returns them.
    pub fn expire(&mut self, now: Instant) -> Vec<BrokerAddrKey> {
        let expired: Vec<BrokerAddrKey> = self
            .broker_live_table
            .iter()
            .filter(|(_, live)| now.saturating_duration_since(live.last_update) > live.timeout)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &expired {
            log::warn!("broker {} ({}) expired", key.addr, key.cluster);
        }
        self.unregister_keys(expired)
    }

    /// Drops the brokers registered over a connection that closed.
    pub fn connection_closed(&mut self, connection: ConnectionId) -> Vec<BrokerAddrKey> {
        let gone: Vec<BrokerAddrKey> = self
            .broker_live_table
            .iter()
            .filter(|(_, live)| live.connection == Some(connection))
            .map(|(key, _)| key.clone())
            .collect();
        for key in &gone {
            log::info!("connection of broker {} ({}) closed", key.addr, key.cluster);
        }
        self.unregister_keys(gone)
    }

    /// Refreshes a broker's liveness (QUERY_DATA_VERSION, BROKER_HEARTBEAT);
    /// `false` if it is not registered.
    pub fn touch(&mut self, key: &BrokerAddrKey, timeout: Option<Duration>, now: Instant) -> bool {
        match self.broker_live_table.get_mut(key) {
            Some(live) => {
                live.last_update = now;
                if let Some(timeout) = timeout {
                    live.timeout = timeout;
                }
                true
            }
            None => false,
        }
    }

    /// The DataVersion last registered by a broker.
    pub fn data_version(&self, key: &BrokerAddrKey) -> Option<DataVersion> {
        self.broker_live_table
            .get(key)
            .map(|live| live.data_version)
    }

    /// The route of `topic`, or `None` if it has no queue data or none of
    /// its broker names is registered (TOPIC_NOT_EXIST).
    pub fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let queues = self.topic_queue_table.get(topic)?;
        let broker_datas: Vec<BrokerData> = queues
            .keys()
            .filter_map(|name| self.broker_addr_table.get(name))
            .cloned()
            .collect();
        if broker_datas.is_empty() || queues.is_empty() {
            return None;
        }
        Some(TopicRouteData {
            broker_datas,
            queue_datas: queues.values().cloned().collect(),
            ..TopicRouteData::default()
        })
    }

    /// Broker name → addresses, and cluster → broker names.
    pub fn cluster_tables(
        &self,
    ) -> (
        &BTreeMap<String, BrokerData>,
        &BTreeMap<String, BTreeSet<String>>,
    ) {
        (&self.broker_addr_table, &self.cluster_addr_table)
    }

    /// Every topic with queue data.
    pub fn topics(&self) -> BTreeSet<String> {
        self.topic_queue_table.keys().cloned().collect()
    }

    /// Topics with queues on a broker name of `cluster`.
    pub fn topics_of_cluster(&self, cluster: &str) -> BTreeSet<String> {
        let Some(names) = self.cluster_addr_table.get(cluster) else {
            return BTreeSet::new();
        };
        self.topic_queue_table
            .iter()
            .filter(|(_, queues)| queues.keys().any(|name| names.contains(name)))
            .map(|(topic, _)| topic.clone())
            .collect()
    }

    /// Java's "system topics": every cluster name and broker name, and one
    /// broker address (the first found) for the client to ask.
    pub fn system_topics(&self) -> (BTreeSet<String>, Option<String>) {
        let mut topics = BTreeSet::new();
        for (cluster, names) in &self.cluster_addr_table {
            topics.insert(cluster.clone());
            topics.extend(names.iter().cloned());
        }
        let addr = self
            .broker_addr_table
            .values()
            .find_map(|data| data.broker_addrs.values().next());
        (topics, addr.cloned())
    }

    /// DELETE_TOPIC_IN_NAMESRV: drops the topic's queue data, only on the
    /// broker names of `cluster` when given.
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        let Some(cluster) = cluster else {
            self.topic_queue_table.remove(topic);
            return;
        };
        let Some(names) = self.cluster_addr_table.get(cluster) else {
            return;
        };
        if let Some(queues) = self.topic_queue_table.get_mut(topic) {
            queues.retain(|name, _| !names.contains(name));
            if queues.is_empty() {
                self.topic_queue_table.remove(topic);
            }
        }
    }

    /// REGISTER_TOPIC_IN_NAMESRV: adds queue data for registered broker names.
    ///
    /// # Errors
    /// [`RegistryError::UnknownBrokerName`] if any queue data names a broker
    /// that is not registered; nothing is changed then.
    pub fn register_topic(
        &mut self,
        topic: &str,
        queue_datas: Vec<QueueData>,
    ) -> Result<(), RegistryError> {
        if let Some(unknown) = queue_datas
            .iter()
            .find(|queue| !self.broker_addr_table.contains_key(&queue.broker_name))
        {
            return Err(RegistryError::UnknownBrokerName {
                broker_name: unknown.broker_name.clone(),
            });
        }
        if queue_datas.is_empty() {
            return Ok(());
        }
        let queues = self.topic_queue_table.entry(topic.to_owned()).or_default();
        for queue in queue_datas {
            queues.insert(queue.broker_name.clone(), queue);
        }
        Ok(())
    }

    /// WIPE_WRITE_PERM_OF_BROKER (`add = false`: clear PERM_WRITE) or
    /// ADD_WRITE_PERM_OF_BROKER (`add = true`: perm becomes read+write, as
    /// Java sets it); returns the number of queue data entries changed.
    pub fn set_write_perm(&mut self, broker_name: &str, add: bool) -> i32 {
        let mut count: i32 = 0;
        for queues in self.topic_queue_table.values_mut() {
            if let Some(queue) = queues.get_mut(broker_name) {
                queue.perm = if add {
                    PERM_READ | PERM_WRITE
                } else {
                    queue.perm & !PERM_WRITE
                };
                count = count.saturating_add(1);
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, queues: i32) -> TopicConfig {
        TopicConfig {
            topic_name: name.to_owned(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            ..TopicConfig::default()
        }
    }

    fn registration(name: &str, id: i64, addr: &str, topics: &[&str]) -> Registration {
        Registration {
            cluster: "DefaultCluster".to_owned(),
            broker_name: name.to_owned(),
            broker_addr: addr.to_owned(),
            broker_id: id,
            ha_server_addr: format!("{addr}-ha"),
            timeout: Duration::from_secs(120),
            enable_acting_master: false,
            zone_name: None,
            topics: Some((
                DataVersion::new(1),
                topics.iter().map(|name| topic(name, 4)).collect(),
            )),
            connection: Some(ConnectionId(id as u64 + 100)),
        }
    }

    #[test]
    fn master_and_slave_share_one_broker_data_and_only_master_adds_queues() {
        let mut registry = RouteRegistry::new();
        let now = Instant::now();
        registry
            .register(registration("a", 0, "m:1", &["T", "U"]), now)
            .unwrap();
        let slave = registry
            .register(registration("a", 1, "s:1", &["T", "X"]), now)
            .unwrap();
        assert_eq!(slave.master_addr.as_deref(), Some("m:1"));
        assert_eq!(slave.ha_server_addr.as_deref(), Some("m:1-ha"));
        let route = registry.route("T").unwrap();
        assert_eq!(route.broker_datas.len(), 1);
        assert_eq!(route.broker_datas[0].broker_addrs.len(), 2);
        assert_eq!(route.queue_datas.len(), 1);
        assert!(registry.route("X").is_none());
    }

    #[test]
    fn slave_stays_when_master_goes_and_name_goes_with_last_address() {
        let mut registry = RouteRegistry::new();
        let now = Instant::now();
        registry
            .register(registration("a", 0, "m:1", &["T", "U"]), now)
            .unwrap();
        registry
            .register(registration("a", 1, "s:1", &[]), now)
            .unwrap();
        registry.unregister("DefaultCluster", "m:1", "a", 0);
        let route = registry.route("T").unwrap();
        assert_eq!(
            route.broker_datas[0]
                .broker_addrs
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            [1]
        );
        registry.connection_closed(ConnectionId(101));
        assert!(registry.route("T").is_none());
        assert!(registry.cluster_tables().1.is_empty());
    }

    #[test]
    fn broker_expires_after_its_timeout_only() {
        let mut registry = RouteRegistry::new();
        let start = Instant::now();
        registry
            .register(registration("a", 0, "m:1", &["T", "U"]), start)
            .unwrap();
        assert!(registry.expire(start + Duration::from_secs(119)).is_empty());
        assert_eq!(registry.expire(start + Duration::from_secs(121)).len(), 1);
        assert!(registry.route("T").is_none());
    }

    #[test]
    fn single_topic_registration_from_unknown_broker_is_refused() {
        let mut registry = RouteRegistry::new();
        let refused = registry.register(registration("a", 0, "m:1", &["T"]), Instant::now());
        assert!(matches!(refused, Err(RegistryError::NotRegistered { .. })));
    }

    #[test]
    fn unchanged_data_version_does_not_rewrite_queues() {
        let mut registry = RouteRegistry::new();
        let now = Instant::now();
        registry
            .register(registration("a", 0, "m:1", &["T", "U"]), now)
            .unwrap();
        registry.set_write_perm("a", false);
        registry
            .register(registration("a", 0, "m:1", &["T", "U"]), now)
            .unwrap();
        assert_eq!(registry.route("T").unwrap().queue_datas[0].perm, PERM_READ);
        let mut changed = registration("a", 0, "m:1", &["T", "U"]);
        changed.topics.as_mut().unwrap().0.bump(2);
        registry.register(changed, now).unwrap();
        assert_eq!(
            registry.route("T").unwrap().queue_datas[0].perm,
            PERM_READ | PERM_WRITE
        );
    }

    #[test]
    fn promoted_slave_leaves_its_old_id() {
        let mut registry = RouteRegistry::new();
        let now = Instant::now();
        registry
            .register(registration("a", 1, "s:1", &[]), now)
            .unwrap();
        registry
            .register(registration("a", 0, "s:1", &["T", "U"]), now)
            .unwrap();
        let route = registry.route("T").unwrap();
        assert_eq!(
            route.broker_datas[0]
                .broker_addrs
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            [0]
        );
    }

    #[test]
    fn topics_by_cluster_and_delete_topic_in_cluster() {
        let mut registry = RouteRegistry::new();
        let now = Instant::now();
        registry
            .register(registration("a", 0, "m:1", &["T", "U"]), now)
            .unwrap();
        let mut other = registration("b", 0, "n:1", &["T", "V"]);
        other.cluster = "Other".to_owned();
        registry.register(other, now).unwrap();
        let other_topics: Vec<String> = registry.topics_of_cluster("Other").into_iter().collect();
        assert_eq!(other_topics, ["T", "V"]);
        registry.delete_topic("T", Some("Other"));
        assert_eq!(registry.route("T").unwrap().queue_datas.len(), 1);
        registry.delete_topic("T", None);
        assert!(registry.route("T").is_none());
    }
}
