//! The consumer side: a clustering `DefaultMQPushConsumer` with a fresh group,
//! consuming from the first offset, that records what it receives until the
//! expected count arrived (bounded) and one more second, to catch duplicates.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use rocketmq_client_rust::ClientResult;
use rocketmq_client_rust::ClientRuntime;
use rocketmq_client_rust::ConsumeConcurrentlyContext;
use rocketmq_client_rust::ConsumeConcurrentlyStatus;
use rocketmq_client_rust::ConsumeOrderlyContext;
use rocketmq_client_rust::ConsumeOrderlyStatus;
use rocketmq_client_rust::DefaultMQPushConsumer;
use rocketmq_client_rust::MQPushConsumer;
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

use crate::produce::INDEX_PROPERTY;
use crate::scenario_error::bounded;
use crate::scenario_error::bounded_infallible;
use crate::scenario_error::ScenarioError;
use crate::scenario_error::WAIT_MAX;

/// How long to keep consuming after the expected count arrived (duplicates show up here).
const SETTLE: Duration = Duration::from_secs(1);
/// Poll interval of the wait for the expected count.
const POLL: Duration = Duration::from_millis(100);

/// Which listener the consumer registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Concurrently,
    Orderly,
}

/// What the consumer saw of one message.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    pub tags: Option<String>,
    pub keys: Option<String>,
    pub index: Option<String>,
    pub born_timestamp_ms: i64,
    pub msg_id: String,
    pub topic: String,
    pub queue_id: i32,
}

impl Received {
    fn from_message(message: &MessageExt) -> Received {
        let inner = message.message_inner();
        Received {
            body: String::from_utf8_lossy(inner.body_slice()).into_owned(),
            tags: inner.tags().map(str::to_string),
            keys: inner.keys().map(|keys| keys.join(" ")),
            index: inner.property(INDEX_PROPERTY).map(str::to_string),
            born_timestamp_ms: message.born_timestamp(),
            msg_id: message.msg_id().to_string(),
            topic: message.topic().to_string(),
            queue_id: message.queue_id(),
        }
    }
}

type Inbox = Arc<Mutex<Vec<Received>>>;

fn record(inbox: &Inbox, messages: &[&MessageExt]) {
    let mut received = inbox
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    received.extend(
        messages
            .iter()
            .map(|message| Received::from_message(message)),
    );
}

fn received_count(inbox: &Inbox) -> usize {
    inbox
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .len()
}

/// Consumes `topic` with `expression` in a fresh clustering `group` until
/// `want` messages arrived (at most [`WAIT_MAX`]) plus [`SETTLE`], and
/// returns them in arrival order.
pub async fn consume(
    runtime: &Arc<ClientRuntime>,
    namesrv: &str,
    topic: &str,
    group: &str,
    expression: &str,
    want: usize,
    listener: Listener,
) -> Result<Vec<Received>, ScenarioError> {
    let inbox: Inbox = Arc::new(Mutex::new(Vec::new()));
    let mut consumer = DefaultMQPushConsumer::builder(Arc::clone(runtime))
        .consumer_group(group)
        .name_server_addr(namesrv)
        .message_model(MessageModel::Clustering)
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .build();
    bounded(
        format!("subscribe {topic}"),
        consumer.subscribe(topic, expression),
    )
    .await?;
    let sink = Arc::clone(&inbox);
    match listener {
        Listener::Concurrently => consumer.register_message_listener_concurrently(
            move |messages: &[&MessageExt],
                  _: &ConsumeConcurrentlyContext|
                  -> ClientResult<ConsumeConcurrentlyStatus> {
                record(&sink, messages);
                Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
            },
        ),
        Listener::Orderly => consumer.register_message_listener_orderly(
            move |messages: &[&MessageExt],
                  _: &mut ConsumeOrderlyContext|
                  -> ClientResult<ConsumeOrderlyStatus> {
                record(&sink, messages);
                Ok(ConsumeOrderlyStatus::Success)
            },
        ),
    }
    bounded(format!("start consumer {group}"), consumer.start()).await?;
    let deadline = Instant::now() + WAIT_MAX;
    while received_count(&inbox) < want && Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
    }
    tokio::time::sleep(SETTLE).await;
    bounded_infallible("consumer shutdown", consumer.shutdown()).await?;
    let received = inbox
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    Ok(received)
}
