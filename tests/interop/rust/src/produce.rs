//! The producer side: a started `DefaultMQProducer`, topic creation through the
//! route of TBW102 (as the Java client's `createTopic`), and synchronous sends
//! that must come back `SEND_OK`.

use std::collections::HashMap;
use std::sync::Arc;

use rocketmq_client_rust::ClientRuntime;
use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::result::SendResult;
use rocketmq_model::result::SendStatus;

use crate::scenario_error::bounded;
use crate::scenario_error::ScenarioError;

/// Per-request timeout handed to the client.
pub const SEND_TIMEOUT_MS: u32 = 10_000;
/// The broker's auto-create template topic; its route names the brokers to create topics on.
const CREATE_TOPIC_KEY: &str = "TBW102";
/// Name of the user property carrying the body, to check properties survive.
pub const INDEX_PROPERTY: &str = "idx";

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub body: String,
    pub tag: Option<String>,
    pub key: Option<String>,
}

impl Outgoing {
    /// Builds the client message: body, tag, key and the `idx` user property.
    pub fn to_message(&self, topic: &str) -> Result<Message, ScenarioError> {
        let mut builder = Message::builder()
            .topic(topic)
            .body_slice(self.body.as_bytes());
        if let Some(tag) = &self.tag {
            builder = builder.tags(tag.as_str());
        }
        if let Some(key) = &self.key {
            builder = builder.key(key.as_str());
        }
        builder
            .raw_property(INDEX_PROPERTY, self.body.as_str())
            .and_then(|builder| builder.build())
            .map_err(|error| ScenarioError::Check(format!("build message {}: {error}", self.body)))
    }
}

/// Starts a producer in `group`, without client-side retries (a failure shows as is).
pub async fn start_producer(
    runtime: &Arc<ClientRuntime>,
    namesrv: &str,
    group: &str,
) -> Result<DefaultMQProducer, ScenarioError> {
    let mut producer = DefaultMQProducer::builder(Arc::clone(runtime))
        .producer_group(group)
        .name_server_addr(namesrv)
        .send_msg_timeout(SEND_TIMEOUT_MS)
        .retry_times_when_send_failed(0)
        .build();
    bounded(format!("start producer {group}"), producer.start()).await?;
    Ok(producer)
}

/// Creates `topic` with `queue_count` read and write queues on every broker of TBW102's route.
pub async fn create_topic(
    producer: &mut DefaultMQProducer,
    topic: &str,
    queue_count: i32,
) -> Result<(), ScenarioError> {
    assert!(queue_count > 0, "queue_count {queue_count}");
    let call = producer.create_topic(CREATE_TOPIC_KEY, topic, queue_count, HashMap::new());
    bounded(format!("create topic {topic}"), call).await
}

/// Checks that a send came back `SEND_OK` with a message id and a queue of `topic`.
pub fn check_send_ok(
    what: &str,
    topic: &str,
    result: Option<&SendResult>,
) -> Result<(), ScenarioError> {
    let result = result.ok_or_else(|| ScenarioError::Check(format!("{what}: no send result")))?;
    if result.send_status != SendStatus::SendOk {
        return Err(ScenarioError::Check(format!(
            "{what}: status {:?}, want SendOk",
            result.send_status
        )));
    }
    if result.msg_id.as_ref().is_none_or(|id| id.is_empty()) {
        return Err(ScenarioError::Check(format!(
            "{what}: no msgId in {result:?}"
        )));
    }
    match &result.message_queue {
        Some(queue) if queue.topic_str() == topic => Ok(()),
        other => Err(ScenarioError::Check(format!(
            "{what}: result queue {other:?}, want one of topic {topic}"
        ))),
    }
}

/// Sends each message synchronously and checks every result is `SEND_OK`.
pub async fn send_each(
    producer: &DefaultMQProducer,
    topic: &str,
    outgoing: &[Outgoing],
) -> Result<(), ScenarioError> {
    for message in outgoing {
        let what = format!("send {}", message.body);
        let result = bounded(
            what.as_str(),
            producer.send_with_timeout(message.to_message(topic)?, u64::from(SEND_TIMEOUT_MS)),
        )
        .await?;
        check_send_ok(&what, topic, result.as_ref())?;
    }
    Ok(())
}
