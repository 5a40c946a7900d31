//! Read-only admin queries to a broker (mqadmin, dashboard): configs, stats
//! and connections. Codes: GET_ALL_TOPIC_CONFIG (21), GET_BROKER_CONFIG (26),
//! GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201), GET_TOPIC_STATS_INFO (202),
//! GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST (204),
//! GET_CONSUME_STATS (208), QUERY_TOPIC_CONSUME_BY_WHO (300),
//! QUERY_CONSUME_TIME_SPAN (303), QUERY_CORRECTION_OFFSET (308),
//! QUERY_TOPICS_BY_CONSUMER (343), QUERY_SUBSCRIPTION_BY_CONSUMER (345),
//! GET_TOPIC_CONFIG (351), GET_SUBSCRIPTIONGROUP_CONFIG (352).
//!
//! GET_BROKER_RUNTIME_INFO (28) and GET_BROKER_CONFIG (26) requests carry no
//! header in Java, so they have no request type here.

ext_header! {
    /// GET_ALL_TOPIC_CONFIG (21) request. Java marks `topicSeq` required,
    /// but older clients send no header at all and the Java broker then
    /// answers with every topic ("old client" branch of `getAllTopicConfig`);
    /// here it is optional so that such a request decodes (all three absent
    /// ⇒ answer with everything).
    pub struct GetAllTopicConfigRequestHeader {
        /// Position to continue paging from.
        opt topic_seq: i32 = "topicSeq",
        /// DataVersion JSON of the first page.
        opt data_version: String = "dataVersion",
        /// Page size.
        opt max_topic_num: i32 = "maxTopicNum",
    }
}

ext_header! {
    /// GET_ALL_TOPIC_CONFIG (21) response.
    pub struct GetAllTopicConfigResponseHeader {
        /// Number of topics on the broker.
        req total_topic_num: i32 = "totalTopicNum",
    }
}

ext_header! {
    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) request; `groupSeq` is
    /// optional for the same reason as `topicSeq` in
    /// [`GetAllTopicConfigRequestHeader`].
    pub struct GetAllSubscriptionGroupRequestHeader {
        /// Position to continue paging from.
        opt group_seq: i32 = "groupSeq",
        /// DataVersion JSON of the first page.
        opt data_version: String = "dataVersion",
        /// Page size.
        opt max_group_num: i32 = "maxGroupNum",
    }
}

ext_header! {
    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) response.
    pub struct GetAllSubscriptionGroupResponseHeader {
        /// Number of groups on the broker.
        req total_group_num: i32 = "totalGroupNum",
    }
}

ext_header! {
    /// GET_BROKER_CONFIG (26) response (the properties text is the body).
    pub struct GetBrokerConfigResponseHeader {
        /// DataVersion JSON of the config.
        req version: String = "version",
    }
}

ext_header! {
    /// GET_TOPIC_STATS_INFO (202) request.
    pub struct GetTopicStatsInfoRequestHeader {
        /// Topic.
        req topic: String = "topic",
    }
}

ext_header! {
    /// GET_CONSUMER_CONNECTION_LIST (203) request.
    pub struct GetConsumerConnectionListRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
    }
}

ext_header! {
    /// GET_PRODUCER_CONNECTION_LIST (204) request.
    pub struct GetProducerConnectionListRequestHeader {
        /// Producer group.
        req producer_group: String = "producerGroup",
    }
}

ext_header! {
    /// GET_CONSUME_STATS (208) request.
    pub struct GetConsumeStatsRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
        /// Only this topic, when present.
        opt topic: String = "topic",
        /// Only these topics (`;`-separated), when present.
        opt topic_list: String = "topicList",
    }
}

ext_header! {
    /// QUERY_TOPIC_CONSUME_BY_WHO (300) request.
    pub struct QueryTopicConsumeByWhoRequestHeader {
        /// Topic.
        req topic: String = "topic",
    }
}

ext_header! {
    /// QUERY_CONSUME_TIME_SPAN (303) request.
    pub struct QueryConsumeTimeSpanRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Consumer group.
        req group: String = "group",
    }
}

ext_header! {
    /// QUERY_CORRECTION_OFFSET (308) request.
    pub struct QueryCorrectionOffsetHeader {
        /// Groups to compare against (comma-separated).
        opt filter_groups: String = "filterGroups",
        /// Group to correct.
        req compare_group: String = "compareGroup",
        /// Topic.
        req topic: String = "topic",
    }
}

ext_header! {
    /// QUERY_TOPICS_BY_CONSUMER (343) request.
    pub struct QueryTopicsByConsumerRequestHeader {
        /// Consumer group.
        req group: String = "group",
    }
}

ext_header! {
    /// QUERY_SUBSCRIPTION_BY_CONSUMER (345) request.
    pub struct QuerySubscriptionByConsumerRequestHeader {
        /// Consumer group.
        req group: String = "group",
        /// Topic.
        opt topic: String = "topic",
    }
}

ext_header! {
    /// GET_TOPIC_CONFIG (351) request.
    pub struct GetTopicConfigRequestHeader {
        /// Topic.
        req topic: String = "topic",
    }
}

ext_header! {
    /// GET_SUBSCRIPTIONGROUP_CONFIG (352) request.
    pub struct GetSubscriptionGroupConfigRequestHeader {
        /// Consumer group.
        req group: String = "group",
    }
}
