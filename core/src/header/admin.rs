//! Admin requests that change a broker's topics and groups (mqadmin,
//! dashboard, `producer.createTopic`): UPDATE_AND_CREATE_TOPIC (17, §3.15),
//! DELETE_SUBSCRIPTIONGROUP (207), DELETE_TOPIC_IN_BROKER (215),
//! CLONE_GROUP_OFFSET (314), UPDATE_AND_GET_GROUP_FORBIDDEN (353).
//!
//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) has no header in Java (the
//! `SubscriptionGroupConfig` is the JSON body), so it has no type here.

/// How a topic's messages are filtered (Java `TopicFilterType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TopicFilterType {
    /// One tag per message (the default).
    #[default]
    SingleTag,
    /// Several tags per message.
    MultiTag,
}

impl TopicFilterType {
    /// Java `TopicFilterType.valueOf`: the exact enum name.
    pub fn parse_java(text: &str) -> Option<TopicFilterType> {
        match text {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

ext_enum!(TopicFilterType, "SINGLE_TAG or MULTI_TAG", TopicFilterType::parse_java, {
    SingleTag => "SINGLE_TAG",
    MultiTag => "MULTI_TAG",
});

ext_header! {
    /// UPDATE_AND_CREATE_TOPIC (17) request (`CreateTopicRequestHeader`).
    pub struct CreateTopicRequestHeader {
        /// Topic to create or update.
        req topic: String = "topic",
        /// Template topic, usually `TBW102` (unused).
        req default_topic: String = "defaultTopic",
        /// Read queue count.
        req read_queue_nums: i32 = "readQueueNums",
        /// Write queue count.
        req write_queue_nums: i32 = "writeQueueNums",
        /// PermName bits (§4.9).
        req perm: i32 = "perm",
        /// Filter type.
        req topic_filter_type: TopicFilterType = "topicFilterType",
        /// TopicSysFlag bits.
        opt topic_sys_flag: i32 = "topicSysFlag",
        /// Ordered topic.
        req order: bool = "order",
        /// Attributes, e.g. `+message.type=NORMAL`.
        opt attributes: String = "attributes",
        /// Overwrite attributes that cannot normally change.
        def force: bool = "force" (default false),
    }
}

ext_header! {
    /// DELETE_TOPIC_IN_BROKER (215) request.
    pub struct DeleteTopicRequestHeader {
        /// Topic to delete.
        req topic: String = "topic",
    }
}

ext_header! {
    /// DELETE_SUBSCRIPTIONGROUP (207) request.
    pub struct DeleteSubscriptionGroupRequestHeader {
        /// Group to delete.
        req group_name: String = "groupName",
        /// Also delete its consumer offsets.
        def clean_offset: bool = "cleanOffset" (default false),
    }
}

ext_header! {
    /// CLONE_GROUP_OFFSET (314) request: copy one group's offsets to another.
    pub struct CloneGroupOffsetRequestHeader {
        /// Source group.
        req src_group: String = "srcGroup",
        /// Destination group.
        req dest_group: String = "destGroup",
        /// Only this topic, when present.
        opt topic: String = "topic",
        /// The source group is offline.
        def offline: bool = "offline" (default false),
    }
}

ext_header! {
    /// UPDATE_AND_GET_GROUP_FORBIDDEN (353) request.
    pub struct UpdateGroupForbiddenRequestHeader {
        /// Consumer group.
        req group: String = "group",
        /// Topic.
        req topic: String = "topic",
        /// New readable state; absent ⇒ only query it.
        opt readable: bool = "readable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DecodeError;
    use crate::ext_fields::ExtValue;

    #[test]
    fn topic_filter_type_is_an_exact_java_name() {
        assert_eq!(
            TopicFilterType::parse_ext("t", "MULTI_TAG"),
            Ok(TopicFilterType::MultiTag)
        );
        assert!(matches!(
            TopicFilterType::parse_ext("t", "multi_tag"),
            Err(DecodeError::InvalidField { field: "t", .. })
        ));
        assert_eq!(TopicFilterType::SingleTag.to_ext(), "SINGLE_TAG");
    }
}
