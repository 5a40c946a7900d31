//! `MessageQueue` (REMOTING.md §9.4): one queue of one topic on one broker,
//! `{"brokerName":"b","queueId":0,"topic":"T"}`. Java's
//! `org.apache.rocketmq.common.message.MessageQueue`.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::body::lenient;

/// One queue of a topic on a named broker.
///
/// Members are declared in fastjson's (alphabetical) order so that they are
/// written in it; ordering compares topic, then broker name, then queue id
/// (as Java's `compareTo` does), so a sorted set lists a topic's queues
/// together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueue {
    pub broker_name: String,
    #[serde(deserialize_with = "lenient::int")]
    pub queue_id: i32,
    pub topic: String,
}

impl MessageQueue {
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue {
            broker_name: broker_name.into(),
            queue_id,
            topic: topic.into(),
        }
    }
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> Ordering {
        self.topic
            .cmp(&other.topic)
            .then_with(|| self.broker_name.cmp(&other.broker_name))
            .then_with(|| self.queue_id.cmp(&other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

crate::body::serde_json_body! {
    MessageQueue => "MessageQueue",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn message_queue_is_written_with_sorted_members() {
        let queue = MessageQueue::new("T", "b", 3);
        assert_eq!(
            queue.encode(),
            br#"{"brokerName":"b","queueId":3,"topic":"T"}"#
        );
    }

    #[test]
    fn message_queues_order_by_topic_first() {
        let a = MessageQueue::new("A", "z", 9);
        let b = MessageQueue::new("B", "a", 0);
        assert!(a < b);
        assert!(MessageQueue::new("A", "a", 1) < MessageQueue::new("A", "a", 2));
    }
}
