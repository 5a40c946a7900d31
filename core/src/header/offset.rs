//! Consumer offsets and queue offsets: QUERY_CONSUMER_OFFSET (14),
//! UPDATE_CONSUMER_OFFSET (15), SEARCH_OFFSET_BY_TIMESTAMP (29),
//! GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32):
//! REMOTING.md §3.5, §3.6.

/// Which end of a run of equal timestamps SEARCH_OFFSET_BY_TIMESTAMP returns
/// (Java `BoundaryType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BoundaryType {
    /// First offset whose store time is ≥ the timestamp (the default).
    #[default]
    Lower,
    /// Last offset whose store time is ≤ the timestamp.
    Upper,
}

impl BoundaryType {
    /// Java `BoundaryType.getType`: `upper` in any case is UPPER, any other
    /// text is LOWER; so parsing never fails.
    pub fn parse_java(text: &str) -> Option<BoundaryType> {
        if text.eq_ignore_ascii_case("upper") {
            Some(BoundaryType::Upper)
        } else {
            Some(BoundaryType::Lower)
        }
    }
}

ext_enum!(BoundaryType, "LOWER or UPPER", BoundaryType::parse_java, {
    Lower => "LOWER",
    Upper => "UPPER",
});

ext_header! {
    /// QUERY_CONSUMER_OFFSET (14) request.
    pub struct QueryConsumerOffsetRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
        /// Topic.
        req topic: String = "topic",
        /// Queue id.
        req queue_id: i32 = "queueId",
        /// Answer 0 instead of QUERY_NOT_FOUND on a young queue (clients do
        /// not send it).
        opt set_zero_if_not_found: bool = "setZeroIfNotFound",
    }
}

ext_header! {
    /// QUERY_CONSUMER_OFFSET (14) response.
    pub struct QueryConsumerOffsetResponseHeader {
        /// Stored consumer offset (next to consume).
        req offset: i64 = "offset",
    }
}

ext_header! {
    /// UPDATE_CONSUMER_OFFSET (15) request.
    pub struct UpdateConsumerOffsetRequestHeader {
        /// Consumer group.
        req consumer_group: String = "consumerGroup",
        /// Topic.
        req topic: String = "topic",
        /// Queue id.
        req queue_id: i32 = "queueId",
        /// Offset to store (next to consume).
        req commit_offset: i64 = "commitOffset",
    }
}

ext_header! {
    /// UPDATE_CONSUMER_OFFSET (15) response: no fields.
    pub struct UpdateConsumerOffsetResponseHeader {}
}

ext_header! {
    /// GET_MAX_OFFSET (30) request.
    pub struct GetMaxOffsetRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Queue id.
        req queue_id: i32 = "queueId",
        /// Only committed (replicated) data; Java always sends `true`.
        def committed: bool = "committed" (default true),
    }
}

ext_header! {
    /// GET_MAX_OFFSET (30) response.
    pub struct GetMaxOffsetResponseHeader {
        /// Max logical offset, exclusive.
        req offset: i64 = "offset",
    }
}

ext_header! {
    /// GET_MIN_OFFSET (31) request.
    pub struct GetMinOffsetRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Queue id.
        req queue_id: i32 = "queueId",
    }
}

ext_header! {
    /// GET_MIN_OFFSET (31) response.
    pub struct GetMinOffsetResponseHeader {
        /// Smallest logical offset still stored.
        req offset: i64 = "offset",
    }
}

ext_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29) request.
    pub struct SearchOffsetRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Queue id.
        req queue_id: i32 = "queueId",
        /// Store time searched for, ms since the Unix epoch.
        req timestamp: i64 = "timestamp",
        /// Which boundary; absent means [`BoundaryType::Lower`].
        opt boundary_type: BoundaryType = "boundaryType",
    }
}

ext_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29) response.
    pub struct SearchOffsetResponseHeader {
        /// The offset found.
        req offset: i64 = "offset",
    }
}

ext_header! {
    /// GET_EARLIEST_MSG_STORETIME (32) request.
    pub struct GetEarliestMsgStoretimeRequestHeader {
        /// Topic.
        req topic: String = "topic",
        /// Queue id.
        req queue_id: i32 = "queueId",
    }
}

ext_header! {
    /// GET_EARLIEST_MSG_STORETIME (32) response.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        /// Store time of the message at minOffset, ms; −1 if none.
        req timestamp: i64 = "timestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext_fields::ExtValue;

    #[test]
    fn boundary_type_parses_like_java() {
        assert_eq!(
            BoundaryType::parse_ext("b", "upper"),
            Ok(BoundaryType::Upper)
        );
        assert_eq!(
            BoundaryType::parse_ext("b", "UPPER"),
            Ok(BoundaryType::Upper)
        );
        assert_eq!(
            BoundaryType::parse_ext("b", "LOWER"),
            Ok(BoundaryType::Lower)
        );
        assert_eq!(
            BoundaryType::parse_ext("b", "sideways"),
            Ok(BoundaryType::Lower)
        );
        assert_eq!(BoundaryType::Upper.to_ext(), "UPPER");
    }
}
