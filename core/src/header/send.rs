//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320), the
//! reply variants (324/325) and PUSH_REPLY_MESSAGE_TO_CLIENT (326): REMOTING.md
//! §3.1, §3.2.
//!
//! The send request travels under two sets of names (Java
//! `SendMessageRequestHeader` and `SendMessageRequestHeaderV2`):
//!
//! | field | V1 name | V2 name |
//! | --- | --- | --- |
//! | producer_group | producerGroup | a |
//! | topic | topic | b |
//! | default_topic | defaultTopic | c |
//! | default_topic_queue_nums | defaultTopicQueueNums | d |
//! | queue_id | queueId | e |
//! | sys_flag | sysFlag | f |
//! | born_timestamp | bornTimestamp | g |
//! | flag | flag | h |
//! | properties | properties | i |
//! | reconsume_times | reconsumeTimes | j |
//! | unit_mode | unitMode | k |
//! | max_reconsume_times | maxReconsumeTimes | l |
//! | batch | batch | m |
//! | broker_name | bname | n |
//!
//! Java and Rust clients send V2 (codes 310/320), Go sends V1 on 10 and V2 on
//! 320. Which one a request uses is told by its keys, not its code:
//! [`CommandHeader::from_ext_fields`] reads V2 when `a` or `b` is present and
//! V1 otherwise; [`CommandHeader::to_ext_fields`] writes V2.

use crate::error::DecodeError;
use crate::ext_fields::{optional, put, put_opt, required, ExtFields, ExtValue};
use crate::header::{CommandHeader, FieldSpec, Presence};

/// The names of one send-header field in both encodings.
struct SendField {
    v1: &'static str,
    v2: &'static str,
}

const PRODUCER_GROUP: SendField = SendField {
    v1: "producerGroup",
    v2: "a",
};
const TOPIC: SendField = SendField {
    v1: "topic",
    v2: "b",
};
const DEFAULT_TOPIC: SendField = SendField {
    v1: "defaultTopic",
    v2: "c",
};
const DEFAULT_TOPIC_QUEUE_NUMS: SendField = SendField {
    v1: "defaultTopicQueueNums",
    v2: "d",
};
const QUEUE_ID: SendField = SendField {
    v1: "queueId",
    v2: "e",
};
const SYS_FLAG: SendField = SendField {
    v1: "sysFlag",
    v2: "f",
};
const BORN_TIMESTAMP: SendField = SendField {
    v1: "bornTimestamp",
    v2: "g",
};
const FLAG: SendField = SendField {
    v1: "flag",
    v2: "h",
};
const PROPERTIES: SendField = SendField {
    v1: "properties",
    v2: "i",
};
const RECONSUME_TIMES: SendField = SendField {
    v1: "reconsumeTimes",
    v2: "j",
};
const UNIT_MODE: SendField = SendField {
    v1: "unitMode",
    v2: "k",
};
const MAX_RECONSUME_TIMES: SendField = SendField {
    v1: "maxReconsumeTimes",
    v2: "l",
};
const BATCH: SendField = SendField {
    v1: "batch",
    v2: "m",
};
const BROKER_NAME: SendField = SendField {
    v1: "bname",
    v2: "n",
};

/// Which of the two name sets a send header uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendHeaderVersion {
    /// Long Java names (`SendMessageRequestHeader`, code 10, Go).
    V1,
    /// One-letter names (`SendMessageRequestHeaderV2`, codes 310/320).
    V2,
}

impl SendHeaderVersion {
    /// The version a received header uses: V2 if `a` or `b` is present.
    pub fn detect(fields: &ExtFields) -> SendHeaderVersion {
        if fields.contains_key(PRODUCER_GROUP.v2) || fields.contains_key(TOPIC.v2) {
            SendHeaderVersion::V2
        } else {
            SendHeaderVersion::V1
        }
    }

    const fn pick(self, field: &SendField) -> &'static str {
        match self {
            SendHeaderVersion::V1 => field.v1,
            SendHeaderVersion::V2 => field.v2,
        }
    }
}

/// The custom header of a send request, in either encoding (§3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendMessageRequestHeader {
    /// Producer group of the sender.
    pub producer_group: String,
    /// Destination topic (may be `%RETRY%<group>`).
    pub topic: String,
    /// Template topic for auto-create, normally `TBW102`.
    pub default_topic: String,
    /// Queue count for auto-create (clients send 4).
    pub default_topic_queue_nums: i32,
    /// Target queue; negative ⇒ the broker picks one.
    pub queue_id: i32,
    /// Message sysFlag (§5.2).
    pub sys_flag: i32,
    /// Born time, ms since the Unix epoch.
    pub born_timestamp: i64,
    /// User flag, stored verbatim.
    pub flag: i32,
    /// Encoded properties (§5.3).
    pub properties: Option<String>,
    /// Times consumed before, for `%RETRY%` topics.
    pub reconsume_times: Option<i32>,
    /// Unit mode (ignored).
    pub unit_mode: Option<bool>,
    /// Maximum reconsume times, for `%RETRY%` topics.
    pub max_reconsume_times: Option<i32>,
    /// `true` ⇒ the body is a batch (§5.6).
    pub batch: Option<bool>,
    /// The broker the client thinks it targets (`bname` / `n`).
    pub broker_name: Option<String>,
}

/// V1 field table of [`SendMessageRequestHeader`], the one
/// [`CommandHeader::FIELDS`] reports.
const FIELDS_V1: &[FieldSpec] = &send_fields(SendHeaderVersion::V1);

/// V2 field table of [`SendMessageRequestHeader`].
pub const SEND_MESSAGE_FIELDS_V2: &[FieldSpec] = &send_fields(SendHeaderVersion::V2);

const fn spec(
    name: &'static str,
    presence: Presence,
    kind: crate::ext_fields::ValueKind,
) -> FieldSpec {
    FieldSpec {
        name,
        presence,
        kind,
    }
}

const fn send_fields(version: SendHeaderVersion) -> [FieldSpec; 14] {
    use Presence::{Optional as O, Required as R};
    let v = version;
    [
        spec(v.pick(&PRODUCER_GROUP), R, String::KIND),
        spec(v.pick(&TOPIC), R, String::KIND),
        spec(v.pick(&DEFAULT_TOPIC), R, String::KIND),
        spec(v.pick(&DEFAULT_TOPIC_QUEUE_NUMS), R, i32::KIND),
        spec(v.pick(&QUEUE_ID), R, i32::KIND),
        spec(v.pick(&SYS_FLAG), R, i32::KIND),
        spec(v.pick(&BORN_TIMESTAMP), R, i64::KIND),
        spec(v.pick(&FLAG), R, i32::KIND),
        spec(v.pick(&PROPERTIES), O, String::KIND),
        spec(v.pick(&RECONSUME_TIMES), O, i32::KIND),
        spec(v.pick(&UNIT_MODE), O, bool::KIND),
        spec(v.pick(&MAX_RECONSUME_TIMES), O, i32::KIND),
        spec(v.pick(&BATCH), O, bool::KIND),
        spec(v.pick(&BROKER_NAME), O, String::KIND),
    ]
}

impl SendMessageRequestHeader {
    /// Decodes the V1 (long) names, as Go sends on code 10.
    ///
    /// # Errors
    /// As [`CommandHeader::from_ext_fields`], naming V1 fields.
    pub fn from_v1(fields: &ExtFields) -> Result<Self, DecodeError> {
        Self::decode_as(fields, SendHeaderVersion::V1)
    }

    /// Decodes the V2 (one-letter) names of codes 310/320.
    ///
    /// # Errors
    /// As [`CommandHeader::from_ext_fields`], naming V2 fields (`a`..`h`).
    pub fn from_v2(fields: &ExtFields) -> Result<Self, DecodeError> {
        Self::decode_as(fields, SendHeaderVersion::V2)
    }

    /// Adds the V1 names to `fields`.
    pub fn to_v1(&self, fields: &mut ExtFields) {
        self.encode_as(fields, SendHeaderVersion::V1);
    }

    /// Adds the V2 names to `fields`.
    pub fn to_v2(&self, fields: &mut ExtFields) {
        self.encode_as(fields, SendHeaderVersion::V2);
    }

    /// Whether the body is a batch (`batch`/`m`; absent ⇒ false).
    pub fn is_batch(&self) -> bool {
        self.batch == Some(true)
    }

    /// Decodes with the names of `version`.
    ///
    /// # Errors
    /// As [`CommandHeader::from_ext_fields`].
    pub fn decode_as(fields: &ExtFields, version: SendHeaderVersion) -> Result<Self, DecodeError> {
        let v = version;
        Ok(SendMessageRequestHeader {
            producer_group: required(fields, v.pick(&PRODUCER_GROUP))?,
            topic: required(fields, v.pick(&TOPIC))?,
            default_topic: required(fields, v.pick(&DEFAULT_TOPIC))?,
            default_topic_queue_nums: required(fields, v.pick(&DEFAULT_TOPIC_QUEUE_NUMS))?,
            queue_id: required(fields, v.pick(&QUEUE_ID))?,
            sys_flag: required(fields, v.pick(&SYS_FLAG))?,
            born_timestamp: required(fields, v.pick(&BORN_TIMESTAMP))?,
            flag: required(fields, v.pick(&FLAG))?,
            properties: optional(fields, v.pick(&PROPERTIES)),
            reconsume_times: optional(fields, v.pick(&RECONSUME_TIMES)),
            unit_mode: optional(fields, v.pick(&UNIT_MODE)),
            max_reconsume_times: optional(fields, v.pick(&MAX_RECONSUME_TIMES)),
            batch: optional(fields, v.pick(&BATCH)),
            broker_name: optional(fields, v.pick(&BROKER_NAME)),
        })
    }

    /// Adds the names of `version` to `fields`.
    pub fn encode_as(&self, fields: &mut ExtFields, version: SendHeaderVersion) {
        let v = version;
        put(fields, v.pick(&PRODUCER_GROUP), &self.producer_group);
        put(fields, v.pick(&TOPIC), &self.topic);
        put(fields, v.pick(&DEFAULT_TOPIC), &self.default_topic);
        put(
            fields,
            v.pick(&DEFAULT_TOPIC_QUEUE_NUMS),
            &self.default_topic_queue_nums,
        );
        put(fields, v.pick(&QUEUE_ID), &self.queue_id);
        put(fields, v.pick(&SYS_FLAG), &self.sys_flag);
        put(fields, v.pick(&BORN_TIMESTAMP), &self.born_timestamp);
        put(fields, v.pick(&FLAG), &self.flag);
        put_opt(fields, v.pick(&PROPERTIES), &self.properties);
        put_opt(fields, v.pick(&RECONSUME_TIMES), &self.reconsume_times);
        put_opt(fields, v.pick(&UNIT_MODE), &self.unit_mode);
        put_opt(
            fields,
            v.pick(&MAX_RECONSUME_TIMES),
            &self.max_reconsume_times,
        );
        put_opt(fields, v.pick(&BATCH), &self.batch);
        put_opt(fields, v.pick(&BROKER_NAME), &self.broker_name);
    }
}

impl CommandHeader for SendMessageRequestHeader {
    const NAME: &'static str = "SendMessageRequestHeader";
    const FIELDS: &'static [FieldSpec] = FIELDS_V1;

    /// Decodes V2 names if `a` or `b` is present, V1 names otherwise.
    fn from_ext_fields(fields: &ExtFields) -> Result<Self, DecodeError> {
        Self::decode_as(fields, SendHeaderVersion::detect(fields))
    }

    /// Writes the V2 names (what Java clients and brokers use).
    fn to_ext_fields(&self, fields: &mut ExtFields) {
        self.to_v2(fields);
    }
}

/// Value of `MSG_REGION` that a Java broker without a region sets.
pub const MSG_REGION_DEFAULT: &str = "DefaultRegion";

ext_header! {
    /// Response to a send (§3.1). `msg_id`, `queue_id` and `queue_offset`
    /// must be present on success (the Java client reads them
    /// unconditionally). Java brokers also put `MSG_REGION` and `TRACE_ON` on
    /// every send response; [`SendMessageResponseHeader::with_java_extras`]
    /// fills them the way Java does.
    pub struct SendMessageResponseHeader {
        /// Offset msgId (§5.4); comma-joined for a batch.
        req msg_id: String = "msgId",
        /// Queue the message was stored in.
        req queue_id: i32 = "queueId",
        /// Consume-queue offset (the first one for a batch).
        req queue_offset: i64 = "queueOffset",
        /// UNIQ_KEY of the (single) message.
        opt transaction_id: String = "transactionId",
        /// Only for inner-batch topics.
        opt batch_uniq_id: String = "batchUniqId",
        /// Only for timer messages.
        opt recall_handle: String = "recallHandle",
        /// Region of the broker (ext field `MSG_REGION`).
        opt msg_region: String = "MSG_REGION",
        /// Whether tracing is on (ext field `TRACE_ON`; clients treat
        /// anything but `"false"` as on).
        opt trace_on: bool = "TRACE_ON",
    }
}

impl SendMessageResponseHeader {
    /// Sets `MSG_REGION` to `region` and `TRACE_ON` to `trace_on`, as the
    /// Java broker does on every send response (use
    /// [`MSG_REGION_DEFAULT`] and `true` to look like a default broker).
    pub fn with_java_extras(mut self, region: &str, trace_on: bool) -> Self {
        self.msg_region = Some(region.to_owned());
        self.trace_on = Some(trace_on);
        self
    }
}

ext_header! {
    /// PUSH_REPLY_MESSAGE_TO_CLIENT (326) request: the broker pushes a reply
    /// message to the requesting producer (§3.2).
    pub struct ReplyMessageRequestHeader {
        /// Producer group of the replier.
        req producer_group: String = "producerGroup",
        /// Reply topic.
        req topic: String = "topic",
        /// Template topic.
        req default_topic: String = "defaultTopic",
        /// Queue count for auto-create.
        req default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Queue id of the reply.
        req queue_id: i32 = "queueId",
        /// Message sysFlag.
        req sys_flag: i32 = "sysFlag",
        /// Born time, ms since the Unix epoch.
        req born_timestamp: i64 = "bornTimestamp",
        /// User flag.
        req flag: i32 = "flag",
        /// Encoded properties (with `PUSH_REPLY_TIME`).
        opt properties: String = "properties",
        /// Reconsume times.
        opt reconsume_times: i32 = "reconsumeTimes",
        /// Unit mode (ignored).
        def unit_mode: bool = "unitMode" (default false),
        /// Born host, `ip:port`.
        req born_host: String = "bornHost",
        /// Store host, `ip:port`.
        req store_host: String = "storeHost",
        /// Store time, ms since the Unix epoch.
        req store_timestamp: i64 = "storeTimestamp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_detected_from_letter_keys() {
        let mut f = ExtFields::new();
        f.insert("topic".into(), "T".into());
        assert_eq!(SendHeaderVersion::detect(&f), SendHeaderVersion::V1);
        f.insert("b".into(), "T".into());
        assert_eq!(SendHeaderVersion::detect(&f), SendHeaderVersion::V2);
    }

    #[test]
    fn field_tables_match_between_versions() {
        assert_eq!(FIELDS_V1.len(), SEND_MESSAGE_FIELDS_V2.len());
        for (v1, v2) in FIELDS_V1.iter().zip(SEND_MESSAGE_FIELDS_V2) {
            assert_eq!(v1.presence, v2.presence, "{} vs {}", v1.name, v2.name);
            assert_eq!(v1.kind, v2.kind, "{} vs {}", v1.name, v2.name);
        }
    }

    #[test]
    fn missing_v2_topic_names_letter_b() {
        let mut f = ExtFields::new();
        f.insert("a".into(), "pg".into());
        let err = SendMessageRequestHeader::from_ext_fields(&f).unwrap_err();
        assert_eq!(err, DecodeError::MissingField { field: "b" });
    }
}
