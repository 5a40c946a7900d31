//! Client life cycle and consumer requests to a broker: HEART_BEAT (34),
//! UNREGISTER_CLIENT (35), CONSUMER_SEND_MSG_BACK (36),
//! GET_CONSUMER_LIST_BY_GROUP (38), LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42):
//! REMOTING.md §3.7–§3.9, §3.11, §3.14.

ext_header! {
    /// HEART_BEAT (34) request: no fields (the data is the JSON body).
    pub struct HeartbeatRequestHeader {}
}

ext_header! {
    /// HEART_BEAT (34) response. Java has no class for it but always adds
    /// these two ext fields; a broker should set both to `true`.
    pub struct HeartbeatResponseHeader {
        /// The broker understands heartbeat V2 (fingerprints).
        opt is_support_heart_beat_v2: bool = "IS_SUPPORT_HEART_BEAT_V2",
        /// The subscription data changed; the client must send it in full.
        opt is_sub_change: bool = "IS_SUB_CHANGE",
    }
}

ext_header! {
    /// UNREGISTER_CLIENT (35) request (the Java field is `clientID`).
    pub struct UnregisterClientRequestHeader {
        /// Client id `ip@pid#nanos`.
        req client_id: String = "clientID",
        /// Producer group to leave.
        opt producer_group: String = "producerGroup",
        /// Consumer group to leave.
        opt consumer_group: String = "consumerGroup",
    }
}

ext_header! {
    /// UNREGISTER_CLIENT (35) response: no fields.
    pub struct UnregisterClientResponseHeader {}
}

ext_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38) request.
    pub struct GetConsumerListByGroupRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
    }
}

ext_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38) response: no fields (the list is the
    /// body).
    pub struct GetConsumerListByGroupResponseHeader {}
}

ext_header! {
    /// LOCK_BATCH_MQ (41) request: no fields (the queues are the body).
    pub struct LockBatchMqRequestHeader {}
}

ext_header! {
    /// UNLOCK_BATCH_MQ (42) request: no fields (the queues are the body).
    pub struct UnlockBatchMqRequestHeader {}
}

ext_header! {
    /// CONSUMER_SEND_MSG_BACK (36) request: retry or dead-letter a consumed
    /// message (§3.11).
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit-log offset of the consumed message on this broker.
        req offset: i64 = "offset",
        /// Consumer group.
        req group: String = "group",
        /// 0 ⇒ the broker picks the level; < 0 ⇒ straight to the DLQ.
        req delay_level: i32 = "delayLevel",
        /// Original msgId.
        opt origin_msg_id: String = "originMsgId",
        /// Original topic.
        opt origin_topic: String = "originTopic",
        /// Unit mode (ignored).
        def unit_mode: bool = "unitMode" (default false),
        /// Client's maximum reconsume times.
        opt max_reconsume_times: i32 = "maxReconsumeTimes",
    }
}
