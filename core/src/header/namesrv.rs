//! Name-server requests: routes (105, §4.1), broker registration (103, 104,
//! 322, 904; §4.2–§4.4), topics (216, 217, 224; §4.5, §4.7), KV config (100,
//! 101, 102, 219; §4.6) and broker write permission (205, 327; §4.7).

ext_header! {
    /// GET_ROUTEINFO_BY_TOPIC (105) request.
    pub struct GetRouteInfoRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Ask for standard JSON whatever the requester's version.
        opt accept_standard_json_only: bool = "acceptStandardJsonOnly",
        /// Ext field `__ZONE_NAME` (zone routing hook).
        opt zone_name: String = "__ZONE_NAME",
        /// Ext field `__ZONE_MODE` (zone routing hook).
        opt zone_mode: bool = "__ZONE_MODE",
    }
}

ext_header! {
    /// REGISTER_BROKER (103) request.
    pub struct RegisterBrokerRequestHeader {
        /// Broker name.
        req broker_name: String = "brokerName",
        /// Broker address `ip:port`.
        req broker_addr: String = "brokerAddr",
        /// Cluster name.
        req cluster_name: String = "clusterName",
        /// HA address `ip:haPort`.
        req ha_server_addr: String = "haServerAddr",
        /// Broker id; 0 = master.
        req broker_id: i64 = "brokerId",
        /// Expiry override, ms (default 120 000).
        opt heartbeat_timeout_millis: i64 = "heartbeatTimeoutMillis",
        /// Acting-master mode.
        opt enable_acting_master: bool = "enableActingMaster",
        /// The body is the zlib form.
        def compressed: bool = "compressed" (default false),
        /// CRC32 of the body masked with 0x7FFFFFFF; 0 = unchecked.
        def body_crc32: i32 = "bodyCrc32" (default 0),
        /// Ext field `__ZONE_NAME`.
        opt zone_name: String = "__ZONE_NAME",
    }
}

ext_header! {
    /// REGISTER_BROKER (103) response; both fields only for a slave whose
    /// master is registered.
    pub struct RegisterBrokerResponseHeader {
        /// The master's HA address.
        opt ha_server_addr: String = "haServerAddr",
        /// The master's address.
        opt master_addr: String = "masterAddr",
    }
}

ext_header! {
    /// UNREGISTER_BROKER (104) request.
    pub struct UnRegisterBrokerRequestHeader {
        /// Broker name.
        req broker_name: String = "brokerName",
        /// Broker address `ip:port`.
        req broker_addr: String = "brokerAddr",
        /// Cluster name.
        req cluster_name: String = "clusterName",
        /// Broker id.
        req broker_id: i64 = "brokerId",
    }
}

ext_header! {
    /// QUERY_DATA_VERSION (322) request (the DataVersion is the body).
    pub struct QueryDataVersionRequestHeader {
        /// Broker name.
        req broker_name: String = "brokerName",
        /// Broker address `ip:port`.
        req broker_addr: String = "brokerAddr",
        /// Cluster name.
        req cluster_name: String = "clusterName",
        /// Broker id.
        req broker_id: i64 = "brokerId",
    }
}

ext_header! {
    /// QUERY_DATA_VERSION (322) response.
    pub struct QueryDataVersionResponseHeader {
        /// The stored DataVersion is missing or differs from the body's.
        req changed: bool = "changed",
    }
}

ext_header! {
    /// BROKER_HEARTBEAT (904) request (the Java spelling
    /// `heartbeatTimeoutMills` is kept).
    pub struct BrokerHeartbeatRequestHeader {
        /// Cluster name.
        req cluster_name: String = "clusterName",
        /// Broker address `ip:port`.
        req broker_addr: String = "brokerAddr",
        /// Broker name.
        req broker_name: String = "brokerName",
        /// Broker id.
        opt broker_id: i64 = "brokerId",
        /// Controller epoch.
        opt epoch: i32 = "epoch",
        /// Max commit-log offset.
        opt max_offset: i64 = "maxOffset",
        /// Confirmed commit-log offset.
        opt confirm_offset: i64 = "confirmOffset",
        /// Expiry override, ms.
        opt heartbeat_timeout_mills: i64 = "heartbeatTimeoutMills",
        /// Election priority.
        opt election_priority: i32 = "electionPriority",
    }
}

ext_header! {
    /// DELETE_TOPIC_IN_NAMESRV (216) request.
    pub struct DeleteTopicFromNamesrvRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Only in this cluster, when present.
        opt cluster_name: String = "clusterName",
    }
}

ext_header! {
    /// REGISTER_TOPIC_IN_NAMESRV (217) request (the route is the body).
    pub struct RegisterTopicRequestHeader {
        /// Topic.
        req topic: String = "topic",
    }
}

ext_header! {
    /// GET_TOPICS_BY_CLUSTER (224) request.
    pub struct GetTopicsByClusterRequestHeader {
        /// Cluster name.
        req cluster: String = "cluster",
    }
}

ext_header! {
    /// PUT_KV_CONFIG (100) request.
    pub struct PutKVConfigRequestHeader {
        /// Namespace, e.g. `ORDER_TOPIC_CONFIG`.
        req namespace: String = "namespace",
        /// Key.
        req key: String = "key",
        /// Value.
        req value: String = "value",
    }
}

ext_header! {
    /// GET_KV_CONFIG (101) request.
    pub struct GetKVConfigRequestHeader {
        /// Namespace.
        req namespace: String = "namespace",
        /// Key.
        req key: String = "key",
    }
}

ext_header! {
    /// GET_KV_CONFIG (101) response.
    pub struct GetKVConfigResponseHeader {
        /// The value (absent when not found).
        opt value: String = "value",
    }
}

ext_header! {
    /// DELETE_KV_CONFIG (102) request.
    pub struct DeleteKVConfigRequestHeader {
        /// Namespace.
        req namespace: String = "namespace",
        /// Key.
        req key: String = "key",
    }
}

ext_header! {
    /// GET_KVLIST_BY_NAMESPACE (219) request.
    pub struct GetKVListByNamespaceRequestHeader {
        /// Namespace.
        req namespace: String = "namespace",
    }
}

ext_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205) request.
    pub struct WipeWritePermOfBrokerRequestHeader {
        /// Broker name.
        req broker_name: String = "brokerName",
    }
}

ext_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205) response.
    pub struct WipeWritePermOfBrokerResponseHeader {
        /// Number of queue data entries changed.
        req wipe_topic_count: i32 = "wipeTopicCount",
    }
}

ext_header! {
    /// ADD_WRITE_PERM_OF_BROKER (327) request.
    pub struct AddWritePermOfBrokerRequestHeader {
        /// Broker name.
        req broker_name: String = "brokerName",
    }
}

ext_header! {
    /// ADD_WRITE_PERM_OF_BROKER (327) response.
    pub struct AddWritePermOfBrokerResponseHeader {
        /// Number of queue data entries changed.
        req add_topic_count: i32 = "addTopicCount",
    }
}
