//! QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33): REMOTING.md §3.10.

ext_header! {
    /// QUERY_MESSAGE (12) request: messages indexed under `topic#key` within
    /// a store-time range.
    pub struct QueryMessageRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Key (a `KEYS` entry or an UNIQ_KEY).
        req key: String = "key",
        /// Most messages to return.
        req max_num: i32 = "maxNum",
        /// Start of the store-time range, ms since the Unix epoch.
        req begin_timestamp: i64 = "beginTimestamp",
        /// End of the store-time range, ms since the Unix epoch.
        req end_timestamp: i64 = "endTimestamp",
        /// Ext field `_UNIQUE_KEY_QUERY`: the key is an UNIQ_KEY.
        opt unique_key_query: bool = "_UNIQUE_KEY_QUERY",
    }
}

ext_header! {
    /// QUERY_MESSAGE (12) response.
    pub struct QueryMessageResponseHeader {
        /// Store time of the last indexed message, ms.
        req index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        /// Commit-log offset of the last indexed message.
        req index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

ext_header! {
    /// VIEW_MESSAGE_BY_ID (33) request.
    pub struct ViewMessageRequestHeader {
        /// Topic (optional).
        opt topic: String = "topic",
        /// Commit-log (physical) offset from the offset msgId.
        req offset: i64 = "offset",
    }
}

ext_header! {
    /// VIEW_MESSAGE_BY_ID (33) response: no fields (the record is the body).
    pub struct ViewMessageResponseHeader {}
}
