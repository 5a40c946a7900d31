//! The message property string (REMOTING.md §5.3): `name 0x01 value 0x02 …`,
//! with a 0x02 after the last pair, UTF-8, at most 32767 bytes (its length
//! prefix in a record is a signed i16).
//!
//! Decoding follows Java's `MessageDecoder.string2messageProperties`: split
//! on 0x02; split each chunk at its first 0x01; keep the pair only if name and
//! value are both non-empty (a chunk shorter than 3 characters can never
//! qualify). A value may itself contain 0x01. On duplicate names the last one
//! wins: a batch entry's properties are followed by the batch header's
//! (§5.6), so `WAIT` can appear twice.
//!
//! [`find_property`] and [`iter_raw`] read the encoded bytes without
//! allocating, for the broker's per-message path; [`Properties`] is the
//! owned, ordered map for everything else.

use bytes::BufMut;

use super::EncodeError;
use crate::DecodeError;

/// Separates a name from its value.
pub const NAME_VALUE_SEPARATOR: u8 = 0x01;
/// Ends each name/value pair.
pub const PROPERTY_SEPARATOR: u8 = 0x02;
/// Longest encoded property string (signed i16 length in a record).
pub const PROPERTIES_LENGTH_MAX: usize = i16::MAX as usize;

/// User keys, space separated; indexed for QUERY_MESSAGE.
pub const PROPERTY_KEYS: &str = "KEYS";
/// Tag; source of the consume-queue tags code.
pub const PROPERTY_TAGS: &str = "TAGS";
/// `true`/`false`: wait for the store before answering (Java default true).
pub const PROPERTY_WAIT_STORE_MSG_OK: &str = "WAIT";
/// Delay level 1..18; `-1` marks a DLQ redirect.
pub const PROPERTY_DELAY_TIME_LEVEL: &str = "DELAY";
/// Original topic of a retried message.
pub const PROPERTY_RETRY_TOPIC: &str = "RETRY_TOPIC";
/// Real destination topic while parked in schedule/half/timer topics.
pub const PROPERTY_REAL_TOPIC: &str = "REAL_TOPIC";
/// Real destination queue id while parked.
pub const PROPERTY_REAL_QUEUE_ID: &str = "REAL_QID";
/// `true` marks a transactional half message.
pub const PROPERTY_TRANSACTION_PREPARED: &str = "TRAN_MSG";
/// Producer group (transactional messages).
pub const PROPERTY_PRODUCER_GROUP: &str = "PGROUP";
/// Added client-side after a pull.
pub const PROPERTY_MIN_OFFSET: &str = "MIN_OFFSET";
/// Added client-side after a pull.
pub const PROPERTY_MAX_OFFSET: &str = "MAX_OFFSET";
pub const PROPERTY_BUYER_ID: &str = "BUYER_ID";
/// First message id of a retry chain.
pub const PROPERTY_ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
pub const PROPERTY_TRANSFER_FLAG: &str = "TRANSFER_FLAG";
pub const PROPERTY_CORRECTION_FLAG: &str = "CORRECTION_FLAG";
pub const PROPERTY_MQ2_FLAG: &str = "MQ2_FLAG";
/// Reconsume count when a client re-produces to `%RETRY%`.
pub const PROPERTY_RECONSUME_TIME: &str = "RECONSUME_TIME";
/// Added by the broker on send (`DefaultRegion`).
pub const PROPERTY_MSG_REGION: &str = "MSG_REGION";
/// Added by the broker on send (`true`).
pub const PROPERTY_TRACE_SWITCH: &str = "TRACE_ON";
/// Client message id (msg_id.rs); indexed; SendResult.msgId.
pub const PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX: &str = "UNIQ_KEY";
pub const PROPERTY_EXTEND_UNIQ_INFO: &str = "EXTEND_UNIQ_INFO";
/// Max reconsume times when a client re-produces to `%RETRY%`.
pub const PROPERTY_MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
pub const PROPERTY_CONSUME_START_TIMESTAMP: &str = "CONSUME_START_TIME";
pub const PROPERTY_INNER_NUM: &str = "INNER_NUM";
pub const PROPERTY_INNER_BASE: &str = "INNER_BASE";
pub const PROPERTY_DUP_INFO: &str = "DUP_INFO";
pub const PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
pub const PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
/// Transaction id of a half message (= its UNIQ_KEY).
pub const PROPERTY_TRANSACTION_ID: &str = "__transactionId__";
pub const PROPERTY_TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
pub const PROPERTY_INSTANCE_ID: &str = "INSTANCE_ID";
/// Request/reply correlation id.
pub const PROPERTY_CORRELATION_ID: &str = "CORRELATION_ID";
/// Request/reply: client id of the requester.
pub const PROPERTY_MESSAGE_REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
pub const PROPERTY_MESSAGE_TTL: &str = "TTL";
pub const PROPERTY_REPLY_MESSAGE_ARRIVE_TIME: &str = "ARRIVE_TIME";
pub const PROPERTY_PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
/// Added by the broker on send (cluster name).
pub const PROPERTY_CLUSTER: &str = "CLUSTER";
/// `reply` for request/reply messages.
pub const PROPERTY_MESSAGE_TYPE: &str = "MSG_TYPE";
pub const PROPERTY_POP_CK: &str = "POP_CK";
pub const PROPERTY_POP_CK_OFFSET: &str = "POP_CK_OFFSET";
pub const PROPERTY_FIRST_POP_TIME: &str = "1ST_POP_TIME";
pub const PROPERTY_SHARDING_KEY: &str = "__SHARDINGKEY";
pub const PROPERTY_FORWARD_QUEUE_ID: &str = "PROPERTY_FORWARD_QUEUE_ID";
pub const PROPERTY_REDIRECT: &str = "REDIRECT";
pub const PROPERTY_INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
pub const PROPERTY_INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
pub const PROPERTY_TRACE_CONTEXT: &str = "TRACE_CONTEXT";
/// 5.x timer: delay in seconds.
pub const PROPERTY_TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
/// 5.x timer: absolute delivery time, ms since the epoch.
pub const PROPERTY_TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// 5.x timer: delay in milliseconds.
pub const PROPERTY_TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
pub const PROPERTY_TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
pub const PROPERTY_TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
pub const PROPERTY_TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
pub const PROPERTY_TIMER_OUT_MS: &str = "TIMER_OUT_MS";
pub const PROPERTY_TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
pub const PROPERTY_TIMER_DELAY_LEVEL: &str = "TIMER_DELAY_LEVEL";
pub const PROPERTY_BORN_HOST: &str = "__BORNHOST";
pub const PROPERTY_BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// Optional body CRC property (only when `enabledAppendPropCRC`, off).
pub const PROPERTY_CRC32: &str = "__CRC32#";
pub const PROPERTY_DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
pub const PROPERTY_DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
/// Names starting with this are transient: never stored.
pub const PROPERTY_TRANSIENT_PREFIX: &str = "__RMQ.TRANSIENT.";
/// Separator of the keys in [`PROPERTY_KEYS`].
pub const KEY_SEPARATOR: char = ' ';

/// The name/value pairs of an encoded property string that Java keeps, in
/// order, duplicates included (the caller decides; last wins elsewhere).
pub fn iter_raw(raw: &[u8]) -> RawPropertyIter<'_> {
    RawPropertyIter {
        chunks: raw.split(is_property_separator as fn(&u8) -> bool),
    }
}

fn is_property_separator(byte: &u8) -> bool {
    *byte == PROPERTY_SEPARATOR
}

/// Iterator of [`iter_raw`]: `(name, value)` byte slices, both non-empty.
#[derive(Debug, Clone)]
pub struct RawPropertyIter<'a> {
    chunks: std::slice::Split<'a, u8, fn(&u8) -> bool>,
}

impl<'a> Iterator for RawPropertyIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        for chunk in self.chunks.by_ref() {
            let Some(separator) = chunk.iter().position(|byte| *byte == NAME_VALUE_SEPARATOR)
            else {
                continue;
            };
            let (name, rest) = chunk.split_at(separator);
            let value = rest.get(1..).unwrap_or_default();
            if !name.is_empty() && !value.is_empty() {
                return Some((name, value));
            }
        }
        None
    }
}

/// The value of `key` in an encoded property string, without allocating; the
/// last occurrence wins. A value that is not UTF-8 counts as absent.
pub fn find_property<'a>(raw: &'a [u8], key: &str) -> Option<&'a str> {
    let mut found = None;
    for (name, value) in iter_raw(raw) {
        if name == key.as_bytes() {
            if let Ok(value) = std::str::from_utf8(value) {
                found = Some(value);
            }
        }
    }
    found
}

/// Appends one `name 0x01 value 0x02` pair to an encoded property string.
///
/// # Errors
/// [`EncodeError::Invalid`] if the pair would not decode back: an empty name
/// or value, a name holding 0x01 or 0x02, or a value holding 0x02.
/// The total length limit is the caller's to check.
pub fn append_property<B: BufMut>(out: &mut B, name: &str, value: &str) -> Result<(), EncodeError> {
    check_pair(name, value)?;
    out.put_slice(name.as_bytes());
    out.put_u8(NAME_VALUE_SEPARATOR);
    out.put_slice(value.as_bytes());
    out.put_u8(PROPERTY_SEPARATOR);
    Ok(())
}

fn check_pair(name: &str, value: &str) -> Result<(), EncodeError> {
    let invalid = |message: String| {
        Err(EncodeError::Invalid {
            what: "property",
            message,
        })
    };
    if name.is_empty() || value.is_empty() {
        return invalid(format!("empty name or value in {name:?}={value:?}"));
    }
    let separators = [
        char::from(NAME_VALUE_SEPARATOR),
        char::from(PROPERTY_SEPARATOR),
    ];
    if name.contains(separators) {
        return invalid(format!("name {name:?} contains a separator byte"));
    }
    if value.contains(char::from(PROPERTY_SEPARATOR)) {
        return invalid(format!("value of {name:?} contains the 0x02 separator"));
    }
    Ok(())
}

/// Decoded message properties: an ordered list of unique names, in the order
/// each name first appeared; inserting an existing name replaces its value in
/// place (last wins). Small (a message has a handful), so lookups scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl Properties {
    pub fn new() -> Self {
        Properties::default()
    }

    /// Decodes an encoded property string with Java's rules.
    ///
    /// # Errors
    /// [`DecodeError::InvalidUtf8`] if a kept name or value is not UTF-8
    /// (the byte position is from the start of `raw`).
    pub fn decode(raw: &[u8]) -> Result<Self, DecodeError> {
        let mut properties = Properties::new();
        for (name, value) in iter_raw(raw) {
            let name = utf8(raw, name, "property name")?;
            let value = utf8(raw, value, "property value")?;
            properties.insert(name, value);
        }
        Ok(properties)
    }

    /// Decodes like [`Properties::decode`] but replaces invalid UTF-8 with
    /// U+FFFD, as Java's `new String(bytes, UTF_8)` does.
    pub fn decode_lossy(raw: &[u8]) -> Self {
        let mut properties = Properties::new();
        for (name, value) in iter_raw(raw) {
            properties.insert(
                &String::from_utf8_lossy(name),
                &String::from_utf8_lossy(value),
            );
        }
        properties
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to `value`; returns the value it replaces.
    pub fn insert(&mut self, name: &str, value: &str) -> Option<String> {
        match self.entries.iter_mut().find(|(key, _)| key == name) {
            Some((_, old)) => Some(std::mem::replace(old, value.to_owned())),
            None => {
                self.entries.push((name.to_owned(), value.to_owned()));
                None
            }
        }
    }

    /// Removes `name`; returns its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let index = self.entries.iter().position(|(key, _)| key == name)?;
        Some(self.entries.remove(index).1)
    }

    /// `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Bytes [`Properties::encode`] writes (before its limit check).
    pub fn encoded_len(&self) -> usize {
        self.entries.iter().fold(0usize, |sum, (name, value)| {
            sum.saturating_add(name.len())
                .saturating_add(value.len())
                .saturating_add(2)
        })
    }

    /// Appends the encoded string to `out`.
    ///
    /// # Errors
    /// [`EncodeError::TooLarge`] past 32767 bytes; [`EncodeError::Invalid`]
    /// for a pair that would not decode back (see [`append_property`]).
    /// Nothing is written on error.
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), EncodeError> {
        let length = self.encoded_len();
        if length > PROPERTIES_LENGTH_MAX {
            return Err(EncodeError::TooLarge {
                what: "properties",
                length: length as u64,
                limit: PROPERTIES_LENGTH_MAX as u64,
            });
        }
        for (name, value) in self.iter() {
            check_pair(name, value)?;
        }
        for (name, value) in self.iter() {
            append_property(out, name, value)?;
        }
        Ok(())
    }

    /// The encoded string as a new buffer.
    ///
    /// # Errors
    /// As [`Properties::encode`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out)?;
        assert_eq!(out.len(), self.encoded_len());
        Ok(out)
    }
}

fn utf8<'a>(raw: &[u8], part: &'a [u8], what: &'static str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(part).map_err(|err| {
        // `part` is a sub-slice of `raw`: its start is its distance from raw's.
        let start = (part.as_ptr() as usize).saturating_sub(raw.as_ptr() as usize);
        DecodeError::InvalidUtf8 {
            what,
            valid_up_to: start.saturating_add(err.valid_up_to()),
        }
    })
}

impl<'a> FromIterator<(&'a str, &'a str)> for Properties {
    fn from_iter<T: IntoIterator<Item = (&'a str, &'a str)>>(iter: T) -> Self {
        let mut properties = Properties::new();
        for (name, value) in iter {
            properties.insert(name, value);
        }
        properties
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_rules_skip_short_chunks_and_empty_names_or_values() {
        let raw = b"a\x01b\x02\x02x\x02\x01v\x02k\x01\x02TAGS\x01TagA\x02";
        let properties = Properties::decode(raw).unwrap();
        let pairs: Vec<_> = properties.iter().collect();
        assert_eq!(pairs, vec![("a", "b"), ("TAGS", "TagA")]);
    }

    #[test]
    fn value_keeps_later_name_value_separators() {
        let properties = Properties::decode(b"k\x01v\x01w\x02").unwrap();
        assert_eq!(properties.get("k"), Some("v\x01w"));
    }

    #[test]
    fn last_duplicate_wins_in_map_and_raw_lookup() {
        let raw = b"WAIT\x01true\x02TAGS\x01t\x02WAIT\x01false\x02";
        let properties = Properties::decode(raw).unwrap();
        assert_eq!(properties.get("WAIT"), Some("false"));
        assert_eq!(properties.len(), 2);
        assert_eq!(find_property(raw, "WAIT"), Some("false"));
        assert_eq!(find_property(raw, "TAGS"), Some("t"));
        assert_eq!(find_property(raw, "KEYS"), None);
    }

    #[test]
    fn missing_trailing_separator_still_decodes_last_pair() {
        assert_eq!(find_property(b"a\x01b\x02c\x01d", "c"), Some("d"));
    }

    #[test]
    fn encode_refuses_pairs_that_would_not_decode_back() {
        let bad = [
            ("", "v"),
            ("k", ""),
            ("k\x01", "v"),
            ("k\x02", "v"),
            ("k", "v\x02"),
        ];
        for (name, value) in bad {
            let properties: Properties = [(name, value)].into_iter().collect();
            assert!(properties.to_bytes().is_err(), "{name:?}={value:?}");
        }
    }

    #[test]
    fn encode_refuses_more_than_32767_bytes() {
        let value = "v".repeat(PROPERTIES_LENGTH_MAX);
        let properties: Properties = [("k", value.as_str())].into_iter().collect();
        assert!(matches!(
            properties.to_bytes(),
            Err(EncodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn invalid_utf8_reports_its_position_in_the_whole_string() {
        let err = Properties::decode(b"a\x01b\x02k\x01\xff\x02").unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidUtf8 {
                what: "property value",
                valid_up_to: 6
            }
        );
        assert_eq!(
            Properties::decode_lossy(b"k\x01\xff\x02").get("k"),
            Some("\u{fffd}")
        );
    }
}
