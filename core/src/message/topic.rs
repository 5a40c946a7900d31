//! Topic and group names (REMOTING.md §3.1 step 2, §6.2–6.3; Java
//! `TopicValidator`, `MixAll`): validation, the system topics a broker
//! creates, and the `%RETRY%`/`%DLQ%` naming of per-group topics.

use thiserror::Error;

/// Template topic for auto-creation (perm 7, INHERIT).
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";
/// Where delayed messages wait, one queue per delay level.
pub const RMQ_SYS_SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
pub const RMQ_SYS_BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// Transactional half messages.
pub const RMQ_SYS_TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
pub const RMQ_SYS_TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
/// Completion markers of half messages.
pub const RMQ_SYS_TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages discarded after too many checks.
pub const RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
pub const RMQ_SYS_SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
pub const RMQ_SYS_OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
pub const RMQ_SYS_ROCKSDB_OFFSET_TOPIC: &str = "CHECKPOINT_TOPIC";
/// 5.x timer messages.
pub const RMQ_SYS_WHEEL_TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
/// Any topic starting with this is a system topic.
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
pub const SYNC_BROKER_MEMBER_GROUP_PREFIX: &str = "rmq_sys_SYNC_BROKER_MEMBER_";
/// `<cluster>_REPLY_TOPIC` carries request/reply messages.
pub const REPLY_TOPIC_POSTFIX: &str = "_REPLY_TOPIC";
/// `%RETRY%<group>`: a consumer group's retry topic.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// `%DLQ%<group>`: a consumer group's dead-letter topic.
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";

/// Longest ordinary topic name.
pub const TOPIC_LENGTH_MAX: usize = 127;
/// Longest `%RETRY%`/`%DLQ%` topic name.
pub const RETRY_OR_DLQ_TOPIC_LENGTH_MAX: usize = 255;
/// Longest group name (it is embedded in retry and DLQ topic names).
pub const GROUP_LENGTH_MAX: usize = 120;

const _: () =
    assert!(RETRY_GROUP_TOPIC_PREFIX.len() + GROUP_LENGTH_MAX <= RETRY_OR_DLQ_TOPIC_LENGTH_MAX);

/// Topics every broker knows (Java `SYSTEM_TOPIC_SET`).
pub const SYSTEM_TOPICS: [&str; 10] = [
    AUTO_CREATE_TOPIC_KEY_TOPIC,
    RMQ_SYS_SCHEDULE_TOPIC,
    RMQ_SYS_BENCHMARK_TOPIC,
    RMQ_SYS_TRANS_HALF_TOPIC,
    RMQ_SYS_TRACE_TOPIC,
    RMQ_SYS_TRANS_OP_HALF_TOPIC,
    RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
    RMQ_SYS_SELF_TEST_TOPIC,
    RMQ_SYS_OFFSET_MOVED_EVENT,
    RMQ_SYS_ROCKSDB_OFFSET_TOPIC,
];

/// Topics clients may not send to (answered with NO_PERMISSION, 16).
pub const NOT_ALLOWED_SEND_TOPICS: [&str; 6] = [
    RMQ_SYS_SCHEDULE_TOPIC,
    RMQ_SYS_TRANS_HALF_TOPIC,
    RMQ_SYS_TRANS_OP_HALF_TOPIC,
    RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
    RMQ_SYS_SELF_TEST_TOPIC,
    RMQ_SYS_OFFSET_MOVED_EVENT,
];

/// Why a topic or group name is refused. The messages are Java's remarks,
/// so the broker can send them as they are (with INVALID_PARAMETER, 29).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NameError {
    #[error("The specified {kind} is blank.")]
    Blank { kind: &'static str },
    #[error(
        "The specified {kind}: {name}, contains illegal characters, allowing only \
         ^[%|a-zA-Z0-9_-]+$ (found {character:?} at byte {position})"
    )]
    IllegalCharacter {
        kind: &'static str,
        name: String,
        character: char,
        position: usize,
    },
    #[error("The specified {kind}: {name}, is longer than {kind} max length: {limit} ({length})")]
    TooLong {
        kind: &'static str,
        name: String,
        length: usize,
        limit: usize,
    },
}

/// Whether `byte` may appear in a topic or group name: `[%|a-zA-Z0-9_-]`.
pub const fn is_valid_name_byte(byte: u8) -> bool {
    matches!(byte, b'%' | b'|' | b'-' | b'_' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

fn check_name(kind: &'static str, name: &str, limit: usize) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Blank { kind });
    }
    if let Some((position, character)) = name
        .char_indices()
        .find(|(_, character)| !character.is_ascii() || !is_valid_name_byte(*character as u8))
    {
        return Err(NameError::IllegalCharacter {
            kind,
            name: name.to_owned(),
            character,
            position,
        });
    }
    // Only ASCII is left, so bytes are Java chars.
    if name.len() > limit {
        return Err(NameError::TooLong {
            kind,
            name: name.to_owned(),
            length: name.len(),
            limit,
        });
    }
    Ok(())
}

/// Validates a topic name as Java's broker does on send and create: not
/// blank, only `[%|a-zA-Z0-9_-]`, at most 127 bytes (255 for `%RETRY%` and
/// `%DLQ%` topics). Whether clients may send to it is a separate check,
/// [`is_not_allowed_send_topic`].
///
/// # Errors
/// The first rule broken, in that order.
pub fn validate_topic(topic: &str) -> Result<(), NameError> {
    let limit = if is_retry_topic(topic) || is_dlq_topic(topic) {
        RETRY_OR_DLQ_TOPIC_LENGTH_MAX
    } else {
        TOPIC_LENGTH_MAX
    };
    check_name("topic", topic, limit)
}

/// Validates a consumer or producer group name: not blank, only
/// `[%|a-zA-Z0-9_-]`, at most 120 bytes.
///
/// # Errors
/// The first rule broken, in that order.
pub fn validate_group(group: &str) -> Result<(), NameError> {
    check_name("group", group, GROUP_LENGTH_MAX)
}

/// One of [`SYSTEM_TOPICS`], or a `rmq_sys_` topic.
pub fn is_system_topic(topic: &str) -> bool {
    SYSTEM_TOPICS.contains(&topic) || topic.starts_with(SYSTEM_TOPIC_PREFIX)
}

/// One of [`NOT_ALLOWED_SEND_TOPICS`].
pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    NOT_ALLOWED_SEND_TOPICS.contains(&topic)
}

pub fn is_retry_topic(topic: &str) -> bool {
    topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
}

pub fn is_dlq_topic(topic: &str) -> bool {
    topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
}

/// `%RETRY%<group>`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// `%DLQ%<group>`.
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

/// `<cluster>_REPLY_TOPIC`.
pub fn reply_topic(cluster: &str) -> String {
    format!("{cluster}{REPLY_TOPIC_POSTFIX}")
}

/// The group of a `%RETRY%<group>` topic.
pub fn group_of_retry_topic(topic: &str) -> Option<&str> {
    topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX)
}

/// The group of a `%DLQ%<group>` topic.
pub fn group_of_dlq_topic(topic: &str) -> Option<&str> {
    topic.strip_prefix(DLQ_GROUP_TOPIC_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        assert_eq!(validate_topic("TopicTest"), Ok(()));
        assert_eq!(validate_topic("a|b%c-d_9"), Ok(()));
        assert_eq!(validate_topic(&"t".repeat(127)), Ok(()));
        assert_eq!(validate_group("please_rename_unique_group_name"), Ok(()));
    }

    #[test]
    fn blank_names_are_refused() {
        assert_eq!(validate_topic(""), Err(NameError::Blank { kind: "topic" }));
        assert_eq!(
            validate_topic("  "),
            Err(NameError::Blank { kind: "topic" })
        );
        assert_eq!(validate_group(""), Err(NameError::Blank { kind: "group" }));
    }

    #[test]
    fn illegal_character_is_named_with_its_position() {
        let err = validate_topic("Topic.Test").unwrap_err();
        assert!(matches!(
            err,
            NameError::IllegalCharacter {
                character: '.',
                position: 5,
                ..
            }
        ));
        assert!(err.to_string().contains("contains illegal characters"));
        assert!(matches!(
            validate_topic("主题"),
            Err(NameError::IllegalCharacter {
                character: '主',
                position: 0,
                ..
            })
        ));
    }

    #[test]
    fn length_limit_depends_on_retry_and_dlq_prefixes() {
        let long = "t".repeat(128);
        assert!(matches!(
            validate_topic(&long),
            Err(NameError::TooLong { limit: 127, .. })
        ));
        let retry = retry_topic(&"g".repeat(248));
        assert_eq!(retry.len(), 255);
        assert_eq!(validate_topic(&retry), Ok(()));
        let dlq = dlq_topic(&"g".repeat(251));
        assert!(matches!(
            validate_topic(&dlq),
            Err(NameError::TooLong { limit: 255, .. })
        ));
        assert!(validate_group(&"g".repeat(121)).is_err());
    }

    #[test]
    fn system_and_not_allowed_topics() {
        assert!(is_system_topic("TBW102"));
        assert!(is_system_topic("rmq_sys_wheel_timer"));
        assert!(!is_system_topic("TopicTest"));
        assert!(is_not_allowed_send_topic("SCHEDULE_TOPIC_XXXX"));
        assert!(!is_not_allowed_send_topic("TBW102"));
    }

    #[test]
    fn retry_and_dlq_names_round_trip() {
        assert_eq!(retry_topic("g1"), "%RETRY%g1");
        assert_eq!(group_of_retry_topic("%RETRY%g1"), Some("g1"));
        assert_eq!(group_of_retry_topic("g1"), None);
        assert_eq!(dlq_topic("g1"), "%DLQ%g1");
        assert_eq!(group_of_dlq_topic("%DLQ%g1"), Some("g1"));
        assert_eq!(reply_topic("DefaultCluster"), "DefaultCluster_REPLY_TOPIC");
    }
}
