//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361): REMOTING.md §3.3.

ext_header! {
    /// A pull request (`PullMessageRequestHeader`); the same header serves
    /// codes 11 and 361.
    pub struct PullMessageRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
        /// Topic (may be `%RETRY%<group>`).
        req topic: String = "topic",
        /// Queue to read.
        req queue_id: i32 = "queueId",
        /// Logical offset to read from.
        req queue_offset: i64 = "queueOffset",
        /// Most messages to return.
        req max_msg_nums: i32 = "maxMsgNums",
        /// PullSysFlag bits (commit offset, suspend, subscription, ...).
        req sys_flag: i32 = "sysFlag",
        /// Piggy-backed consumed offset (valid iff sysFlag bit 0x1).
        req commit_offset: i64 = "commitOffset",
        /// Long-poll hold time, ms.
        req suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        /// Subscription expression (valid iff sysFlag bit 0x4).
        opt subscription: String = "subscription",
        /// Subscription version (Java: ms; Go: 0 or ns).
        req sub_version: i64 = "subVersion",
        /// `TAG` (when absent) or `SQL92`.
        opt expression_type: String = "expressionType",
        /// Byte limit of the answer.
        opt max_msg_bytes: i32 = "maxMsgBytes",
        /// Proxy only.
        opt request_source: i32 = "requestSource",
        /// Proxy only (the Java spelling).
        opt proxy_froward_client_id: String = "proxyFrowardClientId",
    }
}

ext_header! {
    /// The answer to a pull. The four offsets are required and always
    /// written: Java clients throw and Go reads 0 without them, even for
    /// PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY and PULL_OFFSET_MOVED.
    pub struct PullMessageResponseHeader {
        /// Broker id to pull from next (0 = master).
        req suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        /// Offset of the next pull.
        req next_begin_offset: i64 = "nextBeginOffset",
        /// Smallest offset still stored.
        req min_offset: i64 = "minOffset",
        /// Exclusive: the next offset to be written.
        req max_offset: i64 = "maxOffset",
        /// Static topics only.
        opt offset_delta: i64 = "offsetDelta",
        /// Topic sysFlag.
        opt topic_sys_flag: i32 = "topicSysFlag",
        /// Group sysFlag.
        opt group_sys_flag: i32 = "groupSysFlag",
        /// Why the pull was refused (with NO_PERMISSION).
        opt forbidden_type: i32 = "forbiddenType",
    }
}
