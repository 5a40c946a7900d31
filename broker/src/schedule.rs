//! Delay levels (REMOTING.md §6.1): parking a `DELAY` message in
//! `SCHEDULE_TOPIC_XXXX` and delivering it to its real queue when due.
//!
//! Parking ([`park`]) runs on the connection's shard before a send is
//! forwarded: the header's topic becomes `SCHEDULE_TOPIC_XXXX`, its queue
//! `level − 1`, and `REAL_TOPIC`/`REAL_QID` keep the destination. The store
//! then computes the consume-queue tags code of such records with
//! [`tags_code_fn`]: the delivery timestamp (store time + the level's delay).
//!
//! Delivery ([`spawn`]) runs one task per level on the shard that owns that
//! level's schedule queue. Records of one queue share a delay, so they come
//! due in queue order: the task reads from its persisted offset
//! ([`crate::delay_offset`]), re-appends each due record to the owner of its
//! real queue (`DELAY` removed, tags code recomputed from `TAGS` by the
//! default hook), advances and persists the offset, and sleeps until the
//! next record is due. A delivery failure is retried; a restart resumes from
//! the persisted offset, so messages are delivered at least once.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::SendMessageRequestHeader;
use thrust_core::message::delay_level::DelayLevels;
use thrust_core::message::properties::{
    find_property, iter_raw, PROPERTY_DELAY_TIME_LEVEL, PROPERTY_REAL_QUEUE_ID,
    PROPERTY_REAL_TOPIC, PROPERTY_TRANSACTION_PREPARED,
};
use thrust_core::message::record::RecordView;
use thrust_core::message::topic::RMQ_SYS_SCHEDULE_TOPIC;
use thrust_net::ShutdownFlag;
use thrust_storage::tags_code::default_tags_code;
use thrust_storage::TagsCodeFn;

use crate::client_manager::ChannelKey;
use crate::delay_offset::DelayOffsets;
use crate::queue_store::ReadStatus;
use crate::router::{Origin, Reply, Task};
use crate::shard::{ShardContext, FORWARD_TIMEOUT_MS};

/// The topic delayed messages wait in.
pub const SCHEDULE_TOPIC: &str = RMQ_SYS_SCHEDULE_TOPIC;
/// Longest wait of an empty level for an append to its queue (an append
/// wakes it at once; this bounds a missed wake-up and shutdown).
pub const IDLE_WAIT_MS_MAX: u64 = 1_000;
/// Longest single sleep while waiting for a due time (bounds shutdown).
pub const WAIT_SLICE_MS_MAX: u64 = 1_000;
/// Pause after a failed read or delivery before trying again.
pub const RETRY_AFTER_ERROR_MS: u64 = 1_000;
/// Records read per batch.
pub const READ_COUNT_MAX: usize = 32;
/// Bytes read per batch (at least one record is always returned).
pub const READ_BYTES_MAX: usize = 1 << 20;

/// The store's tags-code hook: delivery time for schedule records, the tag
/// hash for everything else.
pub fn tags_code_fn(levels: DelayLevels) -> TagsCodeFn {
    Rc::new(move |view: &RecordView<'_>| {
        if view.topic() != SCHEDULE_TOPIC {
            return default_tags_code(view);
        }
        let level = view.queue_id().saturating_add(1);
        due_ms(&levels, level, view.store_timestamp())
    })
}

/// When a record stored at `store_timestamp_ms` in `level` is due.
pub fn due_ms(levels: &DelayLevels, level: i32, store_timestamp_ms: i64) -> i64 {
    let delay_ms = levels
        .delay(level)
        .map(|delay| i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    store_timestamp_ms.saturating_add(delay_ms)
}

/// Rewrites a single, non-transactional send with `DELAY` > 0 to its
/// schedule queue; returns that queue, or `None` if the send is not delayed.
/// `queue_id` is the real queue already chosen.
pub fn park(
    header: &mut SendMessageRequestHeader,
    queue_id: u32,
    levels: &DelayLevels,
) -> Option<u32> {
    let props = header.properties.as_deref().unwrap_or("");
    let level: i32 = find_property(props.as_bytes(), PROPERTY_DELAY_TIME_LEVEL)?
        .trim()
        .parse()
        .ok()?;
    let level = levels.clamp_level(level)?;
    if header.is_batch()
        || find_property(props.as_bytes(), PROPERTY_TRANSACTION_PREPARED) == Some("true")
    {
        return None;
    }
    let schedule_queue = u32::try_from(level.checked_sub(1)?).ok()?;
    let mut props = properties_without(props, &[PROPERTY_DELAY_TIME_LEVEL, PROPERTY_REAL_TOPIC]);
    props = properties_without(&props, &[PROPERTY_REAL_QUEUE_ID]);
    push_property(&mut props, PROPERTY_DELAY_TIME_LEVEL, &level.to_string());
    push_property(&mut props, PROPERTY_REAL_TOPIC, &header.topic);
    push_property(&mut props, PROPERTY_REAL_QUEUE_ID, &queue_id.to_string());
    header.properties = Some(props);
    header.topic = SCHEDULE_TOPIC.to_string();
    header.queue_id = i32::try_from(schedule_queue).ok()?;
    Some(schedule_queue)
}

/// `props` without the pairs named in `names` (Java's pairs only: empty
/// names or values are dropped, as Java's decoder does).
pub fn properties_without(props: &str, names: &[&str]) -> String {
    let mut out = String::with_capacity(props.len());
    for (name, value) in iter_raw(props.as_bytes()) {
        let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value)) else {
            continue;
        };
        if !names.contains(&name) {
            push_property(&mut out, name, value);
        }
    }
    out
}

/// Appends `name=value` in the wire form (`name 0x01 value 0x02`).
pub fn push_property(props: &mut String, name: &str, value: &str) {
    props.push_str(name);
    props.push('\u{1}');
    props.push_str(value);
    props.push('\u{2}');
}

/// Starts a delivery task for every level whose schedule queue this shard
/// owns. Each stops at shutdown.
///
/// # Errors
/// The delay offset file exists but cannot be read.
pub fn spawn(
    shard: &Rc<ShardContext>,
    shutdown: &ShutdownFlag,
) -> Result<Vec<glommio::task::JoinHandle<()>>, crate::persist::PersistError> {
    let levels = shard.config.delay_levels();
    let offsets = DelayOffsets::open(&shard.config.store_path_root_dir, usize::from(shard.id.0))?;
    let offsets = Rc::new(RefCell::new(offsets));
    let mut tasks = Vec::new();
    for level in 1..=levels.max_level() {
        let Ok(queue) = u32::try_from(level - 1) else {
            continue;
        };
        if shard.owner(SCHEDULE_TOPIC, queue) != shard.id {
            continue;
        }
        let level_task = LevelTask {
            shard: shard.clone(),
            offsets: offsets.clone(),
            levels: levels.clone(),
            level,
            queue,
        };
        let shutdown = shutdown.clone();
        let task = glommio::spawn_local(async move { level_task.run(shutdown).await });
        tasks.push(task.detach());
    }
    Ok(tasks)
}

/// The delivery loop of one level.
struct LevelTask {
    shard: Rc<ShardContext>,
    offsets: Rc<RefCell<DelayOffsets>>,
    levels: DelayLevels,
    level: i32,
    queue: u32,
}

impl LevelTask {
    async fn run(self, shutdown: ShutdownFlag) {
        while !shutdown.is_triggered() {
            // Taken before the read, so an append during it still wakes us.
            let arrived = self.shard.store.arrival(SCHEDULE_TOPIC, self.queue);
            match self.step().await {
                Some(pause_ms) => glommio::timer::sleep(Duration::from_millis(pause_ms)).await,
                None => {
                    let idle = glommio::timer::sleep(Duration::from_millis(IDLE_WAIT_MS_MAX));
                    futures_lite::future::or(arrived.wait(), idle).await;
                }
            }
        }
    }

    /// Delivers what is due; returns how long to sleep before the next
    /// step, or `None` when the queue has nothing more (wait for an append).
    async fn step(&self) -> Option<u64> {
        let offset = self.offsets.borrow().next(self.level);
        let read = self
            .shard
            .store
            .read(
                SCHEDULE_TOPIC,
                self.queue,
                offset,
                READ_COUNT_MAX,
                READ_BYTES_MAX,
                &|_| true,
            )
            .await;
        let outcome = match read {
            Ok(outcome) => outcome,
            Err(err) => {
                log::error!("delay level {}: reading offset {offset}: {err}", self.level);
                return Some(RETRY_AFTER_ERROR_MS);
            }
        };
        match outcome.status {
            ReadStatus::Found if !outcome.records.is_empty() => {}
            ReadStatus::OffsetTooSmall | ReadStatus::OffsetOverflowBadly => {
                // Retention removed the head, or the file is ahead of the
                // store (lost tail): resume where the store says.
                let next = outcome.next_begin_offset.max(0);
                if next == offset {
                    return None;
                }
                log::warn!(
                    "delay level {}: offset {offset} moved to {next}",
                    self.level
                );
                self.advance(next);
                return Some(0);
            }
            _ => return None,
        }
        let mut next = offset;
        for record in &outcome.records {
            match self.deliver_if_due(record).await {
                Delivery::Done => next = next.saturating_add(1),
                Delivery::DueInMs(wait_ms) => {
                    self.advance(next);
                    return Some(wait_ms.clamp(1, WAIT_SLICE_MS_MAX));
                }
                Delivery::Failed => {
                    self.advance(next);
                    return Some(RETRY_AFTER_ERROR_MS);
                }
            }
        }
        self.advance(next);
        Some(0)
    }

    fn advance(&self, next: i64) {
        if let Err(err) = self.offsets.borrow_mut().advance(self.level, next) {
            log::error!(
                "delay level {}: persisting offset {next}: {err}",
                self.level
            );
        }
    }

    async fn deliver_if_due(&self, record: &Bytes) -> Delivery {
        let view = match RecordView::parse(record) {
            Ok(view) => view,
            Err(err) => {
                // A record the store returned must parse; skip rather than
                // block the level forever.
                log::error!(
                    "delay level {}: unreadable record skipped: {err}",
                    self.level
                );
                return Delivery::Done;
            }
        };
        let due = due_ms(&self.levels, self.level, view.store_timestamp());
        let now = crate::topic_config::now_ms();
        if due > now {
            return Delivery::DueInMs(u64::try_from(due - now).unwrap_or(WAIT_SLICE_MS_MAX));
        }
        let Some((header, real_queue)) = real_destination(&view) else {
            log::error!(
                "delay level {}: record without REAL_TOPIC/REAL_QID skipped",
                self.level
            );
            return Delivery::Done;
        };
        let owner = self.shard.owner(&header.topic, real_queue);
        let command = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2.0)
            .with_body(Bytes::copy_from_slice(view.body()));
        let origin = Origin {
            channel: ChannelKey {
                shard: self.shard.id.0,
                connection: u64::MAX,
            },
            peer: view.born_host(),
        };
        let task = Task::Append {
            command,
            header: Box::new(header),
            origin,
            queue_id: real_queue,
        };
        let timeout = Duration::from_millis(FORWARD_TIMEOUT_MS);
        match self.shard.run_on(owner, task, timeout).await {
            Ok(Reply::Response(Some(response)))
                if response.command.code == ResponseCode::SUCCESS.0 =>
            {
                Delivery::Done
            }
            other => {
                log::warn!("delay level {}: delivery failed: {other:?}", self.level);
                Delivery::Failed
            }
        }
    }
}

/// What happened to one parked record.
enum Delivery {
    Done,
    DueInMs(u64),
    Failed,
}

/// The send header that re-writes `view` to its real queue, `DELAY` removed.
fn real_destination(view: &RecordView<'_>) -> Option<(SendMessageRequestHeader, u32)> {
    let raw = view.properties_raw();
    let topic = find_property(raw, PROPERTY_REAL_TOPIC)?.to_string();
    let queue: u32 = find_property(raw, PROPERTY_REAL_QUEUE_ID)?.parse().ok()?;
    let props = std::str::from_utf8(raw).ok()?;
    let header = SendMessageRequestHeader {
        producer_group: String::new(),
        topic,
        default_topic: String::new(),
        default_topic_queue_nums: 0,
        queue_id: i32::try_from(queue).ok()?,
        sys_flag: view.sys_flag(),
        born_timestamp: view.born_timestamp(),
        flag: view.flag(),
        properties: Some(properties_without(props, &[PROPERTY_DELAY_TIME_LEVEL])),
        reconsume_times: Some(view.reconsume_times()),
        ..SendMessageRequestHeader::default()
    };
    Some((header, queue))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(topic: &str, props: &str) -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            topic: topic.to_string(),
            properties: Some(props.to_string()),
            ..SendMessageRequestHeader::default()
        }
    }

    #[test]
    fn delayed_send_is_parked_in_level_minus_one_with_its_real_queue() {
        let levels = DelayLevels::default();
        let mut h = header("T", "TAGS\u{1}a\u{2}DELAY\u{1}2\u{2}");
        assert_eq!(park(&mut h, 3, &levels), Some(1));
        assert_eq!((h.topic.as_str(), h.queue_id), (SCHEDULE_TOPIC, 1));
        let props = h.properties.unwrap();
        assert_eq!(find_property(props.as_bytes(), "REAL_TOPIC"), Some("T"));
        assert_eq!(find_property(props.as_bytes(), "REAL_QID"), Some("3"));
        assert_eq!(find_property(props.as_bytes(), "DELAY"), Some("2"));
        assert_eq!(find_property(props.as_bytes(), "TAGS"), Some("a"));
    }

    #[test]
    fn level_above_max_is_clamped_and_zero_is_not_delayed() {
        let levels = DelayLevels::default();
        let mut h = header("T", "DELAY\u{1}99\u{2}");
        assert_eq!(park(&mut h, 0, &levels), Some(17));
        let mut h = header("T", "DELAY\u{1}0\u{2}");
        assert_eq!(park(&mut h, 0, &levels), None);
        assert_eq!(h.topic, "T");
        let mut h = header("T", "DELAY\u{1}-1\u{2}");
        assert_eq!(park(&mut h, 0, &levels), None);
    }

    #[test]
    fn transactional_send_is_not_parked() {
        let mut h = header("T", "DELAY\u{1}1\u{2}TRAN_MSG\u{1}true\u{2}");
        assert_eq!(park(&mut h, 0, &DelayLevels::default()), None);
    }

    #[test]
    fn due_time_adds_the_level_delay() {
        let levels = DelayLevels::parse("1s 5s").unwrap();
        assert_eq!(due_ms(&levels, 2, 1_000), 6_000);
        assert_eq!(due_ms(&levels, 7, 1_000), 6_000);
        assert_eq!(due_ms(&levels, 0, 1_000), 1_000);
    }

    #[test]
    fn properties_without_drops_only_the_named_pairs() {
        let props = "A\u{1}1\u{2}DELAY\u{1}3\u{2}B\u{1}2\u{2}";
        assert_eq!(
            properties_without(props, &["DELAY"]),
            "A\u{1}1\u{2}B\u{1}2\u{2}"
        );
    }
}
