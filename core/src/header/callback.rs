//! Requests a broker sends to clients (REMOTING.md §3.13), and the admin
//! requests that make it send them: NOTIFY_CONSUMER_IDS_CHANGED (40),
//! RESET_CONSUMER_CLIENT_OFFSET (220) / INVOKE_BROKER_TO_RESET_OFFSET (222),
//! GET_CONSUMER_STATUS_FROM_CLIENT (221) / INVOKE_BROKER_TO_GET_CONSUMER_STATUS
//! (223), GET_CONSUMER_RUNNING_INFO (307), CONSUME_MESSAGE_DIRECTLY (309).

ext_header! {
    /// NOTIFY_CONSUMER_IDS_CHANGED (40), broker → consumer, oneway.
    pub struct NotifyConsumerIdsChangedRequestHeader {
        /// The group whose members changed.
        req consumer_group: String = "consumerGroup",
    }
}

ext_header! {
    /// RESET_CONSUMER_CLIENT_OFFSET (220, broker → client) and
    /// INVOKE_BROKER_TO_RESET_OFFSET (222, admin → broker).
    pub struct ResetOffsetRequestHeader {
        /// Consumer group.
        req group: String = "group",
        /// Topic.
        req topic: String = "topic",
        /// One queue, or −1 for all queues.
        def queue_id: i32 = "queueId" (default -1),
        /// Target offset (one queue); Java sends −1 for "use the timestamp".
        opt offset: i64 = "offset",
        /// Reset to this store time, ms since the Unix epoch.
        req timestamp: i64 = "timestamp",
        /// Also move offsets forward (the Java field is `isForce`).
        req is_force: bool = "isForce",
    }
}

ext_header! {
    /// GET_CONSUMER_STATUS_FROM_CLIENT (221) and
    /// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223).
    pub struct GetConsumerStatusRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Consumer group.
        req group: String = "group",
        /// Only this client (`ip:port`), when present.
        opt client_addr: String = "clientAddr",
    }
}

ext_header! {
    /// GET_CONSUMER_RUNNING_INFO (307): admin → broker, forwarded to the
    /// client.
    pub struct GetConsumerRunningInfoRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
        /// Client id of the consumer asked.
        req client_id: String = "clientId",
        /// Include a thread dump.
        def jstack_enable: bool = "jstackEnable" (default false),
    }
}

ext_header! {
    /// CONSUME_MESSAGE_DIRECTLY (309): admin → broker → client.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
        /// Client id of the consumer asked.
        opt client_id: String = "clientId",
        /// Message to consume.
        opt msg_id: String = "msgId",
        /// Broker holding the message.
        opt broker_name: String = "brokerName",
        /// Topic.
        opt topic: String = "topic",
        /// Topic sysFlag.
        opt topic_sys_flag: i32 = "topicSysFlag",
        /// Group sysFlag.
        opt group_sys_flag: i32 = "groupSysFlag",
    }
}
