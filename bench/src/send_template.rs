//! A send request's header, prepared once per queue and filled in per
//! message.
//!
//! Every message a producer sends to one queue has the same JSON header
//! except for four values: the opaque, the born timestamp (extField `g`),
//! and in the properties (extField `i`) the `KEYS` number and the
//! `UNIQ_KEY`. Building that header as a map of `String`s and JSON-encoding
//! it for every message cost about a third of the bench's CPU, so it is
//! encoded once instead, by core's own encoder, from a command that carries
//! marker values in those four places ([`SendTemplate::new`]). The encoded
//! bytes are cut at the markers; per message the pieces are copied and the
//! values written between them ([`SendTemplate::encode_head`]). The values
//! are decimal digits and hex, which JSON never escapes, so the result is
//! byte for byte what core would encode for the same command (the tests
//! check this), a header every RocketMQ broker accepts.
//!
//! One frame as written (REMOTING.md §1; integers big-endian):
//!
//! ```text
//! position  size  field
//! 0         4     frame length  = 4 + H + B
//! 4         4     header word   = (0 << 24) | H   (serialize type 0: JSON)
//! 8         H     JSON header   template pieces with the values between them
//! 8 + H     B     body          written by the caller after the head
//! ```

use std::ops::Range;

use bytes::{BufMut, BytesMut};
use thrust_core::frame::{
    RemotingCommand, SerializeType, FRAME_LENGTH_MAX, HEADER_LENGTH_MASK, HEADER_POSITION,
    HEADER_WORD_SIZE_BYTES, LENGTH_PREFIX_SIZE_BYTES, SERIALIZE_TYPE_SHIFT,
};
use thrust_core::ExtFields;

/// The opaque of the marked command: a number no other header member holds
/// (`"opaque":` then these digits must occur once).
pub const OPAQUE_MARKER: i32 = 1_987_654_321;
/// The born timestamp (`g`) of the marked command.
pub const BORN_MARKER: &str = "@@thrust-bench:born@@";
/// The KEYS number of the marked command.
pub const KEY_MARKER: &str = "@@thrust-bench:key@@";
/// The UNIQ_KEY of the marked command.
pub const UNIQ_MARKER: &str = "@@thrust-bench:uniq@@";

/// The JSON text that precedes the opaque's digits.
const OPAQUE_PREFIX: &str = "\"opaque\":";
/// Digits of the longest decimal written: `-9223372036854775808`.
const DECIMAL_BYTES_MAX: usize = 20;

/// Why a template could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A marker is missing from the encoded header or occurs more than once
    /// (an option such as the topic or the tags contains its text).
    #[error("marker {marker:?} occurs {count} times in the send header")]
    Marker { marker: String, count: usize },
    /// The marked command did not encode as a JSON header.
    #[error("send header did not encode as JSON")]
    NotJson,
}

/// One value written between template pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    Opaque,
    BornMs,
    KeySeq,
    UniqKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A range of [`SendTemplate::text`], copied as is.
    Text(Range<usize>),
    Value(Value),
}

/// The per-message values of one send.
#[derive(Debug, Clone, Copy)]
pub struct MessageValues<'a> {
    pub opaque: i32,
    pub born_ms: i64,
    /// Written only when the template has a KEYS property.
    pub key_seq: u64,
    /// Written only when the template has properties. Hex digits (a
    /// [`UniqKeyGenerator`](thrust_core::message::msg_id::UniqKeyGenerator) key).
    pub uniq_key: &'a str,
}

/// A prepared send header. Owned by one worker thread, read by its senders;
/// immutable after [`SendTemplate::new`].
#[derive(Debug, Clone)]
pub struct SendTemplate {
    /// The JSON header of the marked command.
    text: Vec<u8>,
    pieces: Vec<Piece>,
}

/// The send command of `code` with `fields` and the per-message values as
/// text: `born` in `g`, and `properties` in `i` when given. Both the
/// template (with markers) and the tests (with real values) build it here.
pub fn send_command(
    code: i32,
    fields: &ExtFields,
    oneway: bool,
    opaque: i32,
    born: &str,
    properties: Option<&str>,
) -> RemotingCommand {
    let mut fields = fields.clone();
    fields.insert("g".to_owned(), born.to_owned());
    if let Some(properties) = properties {
        fields.insert("i".to_owned(), properties.to_owned());
    }
    let mut command = RemotingCommand::request(code)
        .with_ext_fields(fields)
        .with_opaque(opaque);
    if oneway {
        command.mark_oneway();
    }
    command
}

/// A message's properties: the fixed part, `KEYS` when `key` is given,
/// then `UNIQ_KEY` (the Java client sets one on every message).
pub fn properties(fixed: &str, key: Option<&str>, uniq_key: &str) -> String {
    let mut text = String::with_capacity(fixed.len() + 64);
    text.push_str(fixed);
    if let Some(key) = key {
        text.push_str("KEYS\u{1}k");
        text.push_str(key);
        text.push('\u{2}');
    }
    text.push_str("UNIQ_KEY\u{1}");
    text.push_str(uniq_key);
    text.push('\u{2}');
    text
}

impl SendTemplate {
    /// The template of `command`, a send command made by [`send_command`]
    /// with [`OPAQUE_MARKER`], [`BORN_MARKER`] and, in its properties,
    /// [`KEY_MARKER`] and [`UNIQ_MARKER`] (either may be absent).
    ///
    /// # Errors
    /// [`TemplateError::Marker`] when a marker occurs more than once, or the
    /// opaque or born marker not at all; [`TemplateError::NotJson`].
    pub fn new(command: &RemotingCommand) -> Result<SendTemplate, TemplateError> {
        assert_eq!(command.opaque, OPAQUE_MARKER, "command is not marked");
        let mut frame = BytesMut::new();
        command.encode_header_into(0, &mut frame);
        let type_byte = frame.get(HEADER_POSITION - HEADER_WORD_SIZE_BYTES).copied();
        if type_byte != Some(SerializeType::Json.as_byte()) {
            return Err(TemplateError::NotJson);
        }
        let text = frame.get(HEADER_POSITION..).unwrap_or_default().to_vec();
        let opaque_text = format!("{OPAQUE_PREFIX}{OPAQUE_MARKER}");
        let mut found: Vec<(Range<usize>, Value)> = Vec::with_capacity(4);
        let markers = [
            (opaque_text.as_str(), Value::Opaque, true),
            (BORN_MARKER, Value::BornMs, true),
            (KEY_MARKER, Value::KeySeq, false),
            (UNIQ_MARKER, Value::UniqKey, false),
        ];
        for (marker, value, required) in markers {
            let at = positions(&text, marker.as_bytes());
            match at.as_slice() {
                [] if !required => {}
                [start] => {
                    // The opaque's prefix stays in the text; only the digits go.
                    let skip = if value == Value::Opaque {
                        OPAQUE_PREFIX.len()
                    } else {
                        0
                    };
                    found.push((start + skip..start + marker.len(), value));
                }
                _ => {
                    return Err(TemplateError::Marker {
                        marker: marker.to_owned(),
                        count: at.len(),
                    })
                }
            }
        }
        found.sort_by_key(|(range, _)| range.start);
        let mut pieces = Vec::with_capacity(found.len() * 2 + 1);
        let mut copied = 0;
        for (range, value) in found {
            assert!(copied <= range.start, "markers overlap at {}", range.start);
            pieces.push(Piece::Text(copied..range.start));
            pieces.push(Piece::Value(value));
            copied = range.end;
        }
        pieces.push(Piece::Text(copied..text.len()));
        Ok(SendTemplate { text, pieces })
    }

    /// Appends the length prefix, header word and header of one message
    /// whose body will be `body_len` bytes; the caller appends the body.
    pub fn encode_head(&self, values: &MessageValues<'_>, body_len: usize, out: &mut BytesMut) {
        let frame_start = out.len();
        out.reserve(HEADER_POSITION + self.text.len() + 3 * DECIMAL_BYTES_MAX + 64);
        // Placeholders for the length prefix and header word, patched below.
        out.put_u64(0);
        for piece in &self.pieces {
            match piece {
                Piece::Text(range) => {
                    out.put_slice(self.text.get(range.clone()).unwrap_or_default());
                }
                Piece::Value(Value::Opaque) => put_decimal(out, i64::from(values.opaque)),
                Piece::Value(Value::BornMs) => put_decimal(out, values.born_ms),
                Piece::Value(Value::KeySeq) => {
                    put_decimal(out, i64::try_from(values.key_seq).unwrap_or(i64::MAX));
                }
                Piece::Value(Value::UniqKey) => {
                    debug_assert!(values.uniq_key.bytes().all(|b| b.is_ascii_alphanumeric()));
                    out.put_slice(values.uniq_key.as_bytes());
                }
            }
        }
        let header_len = out.len() - frame_start - HEADER_POSITION;
        let frame_len = HEADER_WORD_SIZE_BYTES + header_len + body_len;
        assert!(
            frame_len <= FRAME_LENGTH_MAX,
            "frame of {frame_len} bytes over {FRAME_LENGTH_MAX}"
        );
        let header_len = u32::try_from(header_len).unwrap_or(u32::MAX);
        assert!(
            header_len <= HEADER_LENGTH_MASK,
            "header of {header_len} bytes"
        );
        let word = (u32::from(SerializeType::Json.as_byte()) << SERIALIZE_TYPE_SHIFT) | header_len;
        let frame_len = u32::try_from(frame_len).unwrap_or(u32::MAX);
        let head = frame_start..frame_start + HEADER_POSITION;
        if let Some(slot) = out.get_mut(head) {
            let (prefix, word_slot) = slot.split_at_mut(LENGTH_PREFIX_SIZE_BYTES);
            prefix.copy_from_slice(&frame_len.to_be_bytes());
            word_slot.copy_from_slice(&word.to_be_bytes());
        }
    }
}

/// Start positions of every occurrence of `needle` in `haystack`.
fn positions(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    assert!(!needle.is_empty());
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(start, _)| start)
        .collect()
}

/// Appends `value` in decimal (as `i64::to_string` writes it).
fn put_decimal(out: &mut BytesMut, value: i64) {
    let mut digits = [0u8; DECIMAL_BYTES_MAX];
    let mut start = DECIMAL_BYTES_MAX;
    let mut rest = value.unsigned_abs();
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            // `rest % 10` < 10, so the cast is exact.
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.put_u8(b'-');
    }
    out.put_slice(digits.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use thrust_core::code::RequestCode;
    use thrust_core::frame::decode_frame;

    use super::*;

    fn fields() -> ExtFields {
        [
            ("a", "group"),
            ("b", "Topic"),
            ("e", "3"),
            ("n", "broker-a"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    const FIXED: &str = "WAIT\u{1}true\u{2}TAGS\u{1}a\"b\\c\u{2}";
    const CODE: i32 = RequestCode::SEND_MESSAGE_V2.0;

    fn template(keys: bool, oneway: bool) -> SendTemplate {
        let key = keys.then_some(KEY_MARKER);
        let props = properties(FIXED, key, UNIQ_MARKER);
        let marked = send_command(
            CODE,
            &fields(),
            oneway,
            OPAQUE_MARKER,
            BORN_MARKER,
            Some(&props),
        );
        SendTemplate::new(&marked).unwrap()
    }

    /// What core encodes for the same command with the same values.
    fn reference(values: &MessageValues<'_>, keys: bool, oneway: bool, body: usize) -> BytesMut {
        let key = values.key_seq.to_string();
        let props = properties(FIXED, keys.then_some(key.as_str()), values.uniq_key);
        let born = values.born_ms.to_string();
        let command = send_command(CODE, &fields(), oneway, values.opaque, &born, Some(&props));
        let mut out = BytesMut::new();
        command.encode_header_into(body, &mut out);
        out
    }

    #[test]
    fn filled_template_equals_what_core_encodes_for_the_same_command() {
        let uniq = "7F0000010000B4AA2B6C3E0A1B2C0001";
        for (keys, oneway) in [(false, false), (true, false), (true, true), (false, true)] {
            let template = template(keys, oneway);
            let has_key = template.pieces.contains(&Piece::Value(Value::KeySeq));
            assert_eq!(has_key, keys);
            for (opaque, born_ms, key_seq) in [
                (1, 1_700_000_000_123, 0),
                (i32::MAX, 0, 12_345_678_901),
                (42, 9, u64::from(u32::MAX)),
            ] {
                let values = MessageValues {
                    opaque,
                    born_ms,
                    key_seq,
                    uniq_key: uniq,
                };
                let mut out = BytesMut::from(&b"earlier frames"[..]);
                template.encode_head(&values, 1024, &mut out);
                let want = reference(&values, keys, oneway, 1024);
                assert_eq!(
                    &out[14..],
                    &want[..],
                    "keys {keys} oneway {oneway} {values:?}"
                );
            }
        }
    }

    #[test]
    fn filled_frame_decodes_to_the_values_written() {
        let template = template(true, false);
        let values = MessageValues {
            opaque: 77,
            born_ms: 1_700_000_000_999,
            key_seq: 5,
            uniq_key: "ABCDEF0123",
        };
        let mut out = BytesMut::new();
        template.encode_head(&values, 3, &mut out);
        out.put_slice(b"xyz");
        let (command, used) = decode_frame(&out).unwrap().unwrap();
        assert_eq!(used, out.len());
        assert_eq!(command.opaque, 77);
        assert_eq!(command.ext_field("g"), Some("1700000000999"));
        let props = command.ext_field("i").unwrap();
        assert!(props.starts_with(FIXED), "{props:?}");
        assert!(props.ends_with("KEYS\u{1}k5\u{2}UNIQ_KEY\u{1}ABCDEF0123\u{2}"));
        assert_eq!(&command.body[..], b"xyz");
    }

    #[test]
    fn batch_template_without_properties_fills_opaque_and_born_only() {
        let code = RequestCode::SEND_BATCH_MESSAGE.0;
        let marked = send_command(code, &fields(), false, OPAQUE_MARKER, BORN_MARKER, None);
        let template = SendTemplate::new(&marked).unwrap();
        let values = MessageValues {
            opaque: 3,
            born_ms: 11,
            key_seq: 0,
            uniq_key: "",
        };
        let mut out = BytesMut::new();
        template.encode_head(&values, 0, &mut out);
        let want = send_command(code, &fields(), false, 3, "11", None);
        assert_eq!(&out[..], &want.encode()[..]);
    }

    #[test]
    fn a_marker_inside_an_option_is_refused() {
        let mut fields = fields();
        fields.insert("b".to_owned(), format!("T{BORN_MARKER}"));
        let marked = send_command(CODE, &fields, false, OPAQUE_MARKER, BORN_MARKER, None);
        assert!(matches!(
            SendTemplate::new(&marked),
            Err(TemplateError::Marker { count: 2, .. })
        ));
    }

    #[test]
    fn decimals_match_to_string() {
        for value in [0, 7, -7, 10, 99, 100, i64::MAX, i64::MIN, -1_000_000] {
            let mut out = BytesMut::new();
            put_decimal(&mut out, value);
            assert_eq!(&out[..], value.to_string().as_bytes());
        }
    }
}
