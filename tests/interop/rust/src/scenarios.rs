//! The scenarios. Each uses its own topic and group names (suffixed with the
//! run id); `push_clustering` consumes what `send_sync` sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use rocketmq_client_rust::ClientRuntime;
use rocketmq_model::common::message::message_queue::MessageQueue;

use crate::consume::consume;
use crate::consume::Listener;
use crate::consume::Received;
use crate::produce::check_send_ok;
use crate::produce::create_topic;
use crate::produce::send_each;
use crate::produce::start_producer;
use crate::produce::Outgoing;
use crate::produce::SEND_TIMEOUT_MS;
use crate::scenario_error::bounded;
use crate::scenario_error::bounded_infallible;
use crate::scenario_error::ScenarioError;

/// Queues of every topic the scenarios create.
const QUEUE_COUNT: i32 = 4;
/// Messages of `send_sync` and `send_batch`.
const MESSAGE_COUNT: usize = 10;
/// Order ids (one queue each) and messages per order id of `send_orderly`.
const ORDER_IDS: usize = 3;
const MESSAGES_PER_ORDER: usize = 5;
const _: () = assert!(ORDER_IDS <= QUEUE_COUNT as usize);

/// What the scenarios share.
pub struct Scenarios {
    runtime: Arc<ClientRuntime>,
    namesrv: String,
    run_id: u128,
}

/// The topic and messages `send_sync` sent, and the time just before.
pub struct Sent {
    topic: String,
    outgoing: Vec<Outgoing>,
    before_ms: i64,
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), ScenarioError> {
    if condition {
        Ok(())
    } else {
        Err(ScenarioError::Check(message()))
    }
}

/// Checks the received bodies are exactly the sent ones: none lost, none twice.
fn check_same_bodies(received: &[Received], outgoing: &[Outgoing]) -> Result<(), ScenarioError> {
    let mut got: Vec<&str> = received.iter().map(|r| r.body.as_str()).collect();
    let mut want: Vec<&str> = outgoing.iter().map(|o| o.body.as_str()).collect();
    got.sort_unstable();
    want.sort_unstable();
    check(got == want, || {
        format!(
            "received {} {got:?}, want {} {want:?}",
            got.len(),
            want.len()
        )
    })
}

/// Checks tag, key, user property, topic, msgId and born timestamp of every received message.
fn check_preserved(
    received: &[Received],
    outgoing: &[Outgoing],
    topic: &str,
    before_ms: i64,
) -> Result<(), ScenarioError> {
    let sent: BTreeMap<&str, &Outgoing> = outgoing.iter().map(|o| (o.body.as_str(), o)).collect();
    let after_ms = now_ms();
    for r in received {
        let Some(o) = sent.get(r.body.as_str()) else {
            return Err(ScenarioError::Check(format!(
                "unexpected body {:?}",
                r.body
            )));
        };
        check(
            r.tags == o.tag && r.keys == o.key && r.index.as_deref() == Some(o.body.as_str()),
            || {
                format!(
                    "{}: tags {:?} keys {:?} idx {:?}, want {:?} {:?} {:?}",
                    o.body, r.tags, r.keys, r.index, o.tag, o.key, o.body
                )
            },
        )?;
        check(r.topic == topic && !r.msg_id.is_empty(), || {
            format!("{}: topic {:?} msgId {:?}", o.body, r.topic, r.msg_id)
        })?;
        check(
            (before_ms..=after_ms).contains(&r.born_timestamp_ms),
            || {
                format!(
                    "{}: born timestamp {} not in {before_ms}..={after_ms}",
                    o.body, r.born_timestamp_ms
                )
            },
        )?;
    }
    Ok(())
}

impl Scenarios {
    pub fn new(runtime: Arc<ClientRuntime>, namesrv: String) -> Scenarios {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Scenarios {
            runtime,
            namesrv,
            run_id: since_epoch.as_nanos() % 1_000_000_000,
        }
    }

    fn unique(&self, prefix: &str) -> String {
        format!("{prefix}_rust_{}", self.run_id)
    }

    /// Scenario 1: ten messages with tags and keys, sent one by one; every result `SEND_OK`.
    pub async fn send_sync(&self) -> Result<Sent, ScenarioError> {
        let topic = self.unique("T_rssync");
        let mut producer =
            start_producer(&self.runtime, &self.namesrv, &self.unique("PG_rssync")).await?;
        let outgoing: Vec<Outgoing> = (0..MESSAGE_COUNT)
            .map(|i| Outgoing {
                body: format!("rssync-{i}"),
                tag: Some(format!("Tag{}", i % 3)),
                key: Some(format!("key-{i}")),
            })
            .collect();
        let before_ms = now_ms().saturating_sub(1000);
        let sent = match create_topic(&mut producer, &topic, QUEUE_COUNT).await {
            Ok(()) => send_each(&producer, &topic, &outgoing).await,
            Err(error) => Err(error),
        };
        bounded_infallible("producer shutdown", producer.shutdown()).await?;
        sent?;
        Ok(Sent {
            topic,
            outgoing,
            before_ms,
        })
    }

    /// Scenario 2: a clustering push consumer (fresh group, from the first offset)
    /// receives exactly what `send_sync` sent, with tags, keys and properties.
    pub async fn push_clustering(&self, sent: &Sent) -> Result<(), ScenarioError> {
        let group = self.unique("CG_rspush");
        let received = consume(
            &self.runtime,
            &self.namesrv,
            &sent.topic,
            &group,
            "*",
            sent.outgoing.len(),
            Listener::Concurrently,
        )
        .await?;
        check_same_bodies(&received, &sent.outgoing)?;
        check_preserved(&received, &sent.outgoing, &sent.topic, sent.before_ms)
    }

    /// Scenario 3a: ten messages in one `send_batch` call, then consumed exactly.
    pub async fn send_batch(&self) -> Result<(), ScenarioError> {
        let topic = self.unique("T_rsbatch");
        let mut producer =
            start_producer(&self.runtime, &self.namesrv, &self.unique("PG_rsbatch")).await?;
        let outgoing: Vec<Outgoing> = (0..MESSAGE_COUNT)
            .map(|i| Outgoing {
                body: format!("rsbatch-{i}"),
                tag: Some("TagBatch".to_string()),
                key: Some(format!("bkey-{i}")),
            })
            .collect();
        let before_ms = now_ms().saturating_sub(1000);
        let sent = self.send_batch_on(&mut producer, &topic, &outgoing).await;
        bounded_infallible("producer shutdown", producer.shutdown()).await?;
        sent?;
        let received = consume(
            &self.runtime,
            &self.namesrv,
            &topic,
            &self.unique("CG_rsbatch"),
            "*",
            outgoing.len(),
            Listener::Concurrently,
        )
        .await?;
        check_same_bodies(&received, &outgoing)?;
        check_preserved(&received, &outgoing, &topic, before_ms)
    }

    async fn send_batch_on(
        &self,
        producer: &mut rocketmq_client_rust::DefaultMQProducer,
        topic: &str,
        outgoing: &[Outgoing],
    ) -> Result<(), ScenarioError> {
        create_topic(producer, topic, QUEUE_COUNT).await?;
        let messages = outgoing
            .iter()
            .map(|o| o.to_message(topic))
            .collect::<Result<Vec<_>, _>>()?;
        let result = bounded(
            "send_batch",
            producer.send_batch_with_timeout(messages, u64::from(SEND_TIMEOUT_MS)),
        )
        .await?;
        check_send_ok("send_batch", topic, Some(&result))?;
        let ids = result
            .msg_id
            .as_ref()
            .map_or(0, |ids| ids.as_str().split(',').count());
        check(ids == outgoing.len(), || {
            format!(
                "send_batch: {ids} message ids in {:?}, want {}",
                result.msg_id,
                outgoing.len()
            )
        })
    }

    /// Scenario 3b: ordered send with a selector (order id modulo the queue count) and
    /// an orderly push consumer: one queue per order id, each order id's
    /// messages consumed in send order.
    pub async fn send_orderly(&self) -> Result<(), ScenarioError> {
        let topic = self.unique("T_rsorder");
        let mut producer =
            start_producer(&self.runtime, &self.namesrv, &self.unique("PG_rsorder")).await?;
        let sent = self.send_orderly_on(&mut producer, &topic).await;
        bounded_infallible("producer shutdown", producer.shutdown()).await?;
        let (outgoing, queue_of_order) = sent?;
        let received = consume(
            &self.runtime,
            &self.namesrv,
            &topic,
            &self.unique("CG_rsorder"),
            "*",
            outgoing.len(),
            Listener::Orderly,
        )
        .await?;
        check_same_bodies(&received, &outgoing)?;
        let mut next_seq = [0usize; ORDER_IDS];
        for r in &received {
            let (order, seq) = parse_order_body(&r.body)
                .ok_or_else(|| ScenarioError::Check(format!("unexpected body {:?}", r.body)))?;
            let (Some(want_seq), Some(want_queue)) =
                (next_seq.get_mut(order), queue_of_order.get(order))
            else {
                return Err(ScenarioError::Check(format!(
                    "unexpected order id in {:?}",
                    r.body
                )));
            };
            check(seq == *want_seq, || {
                format!("order {order}: got seq {seq} before seq {want_seq} (out of order)")
            })?;
            check(r.queue_id == *want_queue, || {
                format!(
                    "{}: consumed from queue {}, sent to {want_queue}",
                    r.body, r.queue_id
                )
            })?;
            *want_seq += 1;
        }
        Ok(())
    }

    /// Sends `ORDER_IDS` × `MESSAGES_PER_ORDER` messages by selector and
    /// returns them with the queue id each order id went to.
    async fn send_orderly_on(
        &self,
        producer: &mut rocketmq_client_rust::DefaultMQProducer,
        topic: &str,
    ) -> Result<(Vec<Outgoing>, Vec<i32>), ScenarioError> {
        create_topic(producer, topic, QUEUE_COUNT).await?;
        let mut outgoing = Vec::new();
        let mut queue_of_order: Vec<Option<i32>> = vec![None; ORDER_IDS];
        for seq in 0..MESSAGES_PER_ORDER {
            for order in 0..ORDER_IDS {
                let message = Outgoing {
                    body: format!("rsorder-{order}-{seq}"),
                    tag: Some(format!("Order{order}")),
                    key: Some(format!("okey-{order}-{seq}")),
                };
                let what = format!("send_with_selector {}", message.body);
                let select =
                    |queues: &[MessageQueue], _: &_, order: &usize| -> Option<MessageQueue> {
                        queues.get(order % queues.len().max(1)).cloned()
                    };
                let result = bounded(
                    what.as_str(),
                    producer.send_with_selector_timeout(
                        message.to_message(topic)?,
                        select,
                        order,
                        u64::from(SEND_TIMEOUT_MS),
                    ),
                )
                .await?;
                check_send_ok(&what, topic, result.as_ref())?;
                let queue_id = result
                    .as_ref()
                    .and_then(|r| r.message_queue.as_ref())
                    .map(MessageQueue::queue_id);
                let Some(slot) = queue_of_order.get_mut(order) else {
                    return Err(ScenarioError::Check(format!(
                        "order id {order} out of range"
                    )));
                };
                match (*slot, queue_id) {
                    (None, Some(id)) => *slot = Some(id),
                    (Some(first), Some(id)) if first == id => {}
                    (first, id) => {
                        return Err(ScenarioError::Check(format!(
                            "{what}: went to queue {id:?}, order {order} went to {first:?} before"
                        )))
                    }
                }
                outgoing.push(message);
            }
        }
        let queues: Vec<i32> = queue_of_order.into_iter().flatten().collect();
        let mut distinct = queues.clone();
        distinct.sort_unstable();
        distinct.dedup();
        check(
            queues.len() == ORDER_IDS && distinct.len() == ORDER_IDS,
            || format!("order ids went to queues {queues:?}, want {ORDER_IDS} distinct"),
        )?;
        Ok((outgoing, queues))
    }
}

/// Splits `rsorder-<order>-<seq>`.
fn parse_order_body(body: &str) -> Option<(usize, usize)> {
    let rest = body.strip_prefix("rsorder-")?;
    let (order, seq) = rest.split_once('-')?;
    Some((order.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_body_round_trips() {
        assert_eq!(parse_order_body("rsorder-2-4"), Some((2, 4)));
        assert_eq!(parse_order_body("rsorder-x-4"), None);
        assert_eq!(parse_order_body("rssync-1"), None);
    }

    #[test]
    fn lost_or_duplicated_bodies_fail_the_check() {
        let outgoing: Vec<Outgoing> = (0..2)
            .map(|i| Outgoing {
                body: format!("b{i}"),
                tag: None,
                key: None,
            })
            .collect();
        let received = |bodies: &[&str]| -> Vec<Received> {
            bodies
                .iter()
                .map(|b| Received {
                    body: b.to_string(),
                    tags: None,
                    keys: None,
                    index: Some(b.to_string()),
                    born_timestamp_ms: 0,
                    msg_id: "id".to_string(),
                    topic: "t".to_string(),
                    queue_id: 0,
                })
                .collect()
        };
        assert!(check_same_bodies(&received(&["b1", "b0"]), &outgoing).is_ok());
        assert!(check_same_bodies(&received(&["b0"]), &outgoing).is_err());
        assert!(check_same_bodies(&received(&["b0", "b1", "b1"]), &outgoing).is_err());
    }
}
