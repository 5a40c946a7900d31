//! fastjson's dialect of JSON, turned into standard JSON before serde sees it,
//! and the one fastjson shape we must also write.
//!
//! Java peers serialise bodies with fastjson, which writes three things that
//! a standard parser refuses or misreads (REMOTING.md §11 traps 3, 4, 30):
//!
//! | fastjson writes                         | [`normalize`] turns it into               |
//! | --------------------------------------- | ----------------------------------------- |
//! | `{0:"a",1:"b"}` (bare numeric map keys) | `{"0":"a","1":"b"}`                       |
//! | `{{"brokerName":"b",..}:5,{..}:6}`      | `[[{"brokerName":"b",..},5],[{..},6]]`    |
//! | `{"a":null,"b":1}` (a null member)      | `{"b":1}` (Java reads null as "absent")   |
//!
//! Insignificant whitespace is dropped; string contents (escapes included)
//! are copied byte for byte. The pass is a small state machine over bytes, not
//! a validator: anything it does not recognise is copied through and left for
//! serde_json to reject. It never invents a comma or a bracket that would make
//! a broken document parse.
//!
//! Object-keyed maps (`Map<MessageQueue, V>` in ConsumeStats, TopicStatsTable
//! and ResetOffsetBody) become arrays of `[key, value]` pairs, which is also
//! the shape gson writes and Go parses; [`object_keyed_map`] deserialises
//! either, and [`write_object_keyed_map`] writes fastjson's shape because
//! Java admin tools read only that.

use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::DecodeError;

/// Deepest nesting accepted. serde_json stops at 128 levels as well, so no
/// document that serde could parse is refused here.
pub const NESTING_DEPTH_MAX: usize = 128;

/// What kind of container an open bracket started, and where inside it the
/// pass is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Array,
    /// A JSON object whose keys are strings (or bare tokens to be quoted).
    Object,
    /// An object whose keys are objects, being rewritten as `[[k,v],..]`.
    Pairs,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    container: Container,
    /// Between `{`/`,` and `:` (objects and pairs only).
    at_key: bool,
    /// `{` seen but not yet written: its first key decides `{` or `[[`.
    opener_pending: bool,
    /// Output position where the current member starts (before its comma),
    /// so that a member whose value is `null` can be cut out again.
    member_start: usize,
    /// Whether a member of this object has been written and kept.
    has_members: bool,
    /// The current member's value is `null`: cut the member out once a `,`
    /// or `}` shows the document goes on as JSON should.
    null_value_pending: bool,
}

impl Frame {
    fn new(container: Container) -> Self {
        Frame {
            container,
            at_key: true,
            opener_pending: false,
            member_start: 0,
            has_members: false,
            null_value_pending: false,
        }
    }
}

struct Normalizer<'a> {
    what: &'static str,
    /// The input not yet consumed.
    rest: &'a [u8],
    out: Vec<u8>,
    stack: Vec<Frame>,
}

/// Rewrites fastjson output (or any JSON) into standard JSON, as the table at
/// the top of this module says. Standard JSON passes through unchanged apart
/// from whitespace and null members.
///
/// # Errors
///
/// [`DecodeError::Malformed`] if brackets nest deeper than
/// [`NESTING_DEPTH_MAX`]. Every other defect is left for the JSON parser.
pub fn normalize(what: &'static str, input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    // Rewriting adds at most two bytes per bare key or pair; most documents
    // need none, so the input length is the right first guess.
    let mut normalizer = Normalizer {
        what,
        rest: input,
        out: Vec::with_capacity(input.len()),
        stack: Vec::new(),
    };
    normalizer.run()?;
    assert!(normalizer.stack.len() <= NESTING_DEPTH_MAX);
    Ok(normalizer.out)
}

impl Normalizer<'_> {
    fn run(&mut self) -> Result<(), DecodeError> {
        while let Some((&byte, tail)) = self.rest.split_first() {
            self.rest = tail;
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}') {
                // Only `,` or `}` may follow a `null` member value; after
                // anything else the null stays, for the parser to reject.
                if let Some(top) = self.stack.last_mut() {
                    top.null_value_pending = false;
                }
            }
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'"' => {
                    self.begin_item(false);
                    self.copy_string();
                }
                b'{' => self.open_object()?,
                b'[' => {
                    self.begin_item(false);
                    self.push(Container::Array)?;
                    self.out.push(b'[');
                }
                b'}' => self.close_object(),
                b']' => self.close_array(),
                b':' => self.colon(),
                b',' => self.comma(),
                first => self.bare_token(first),
            }
        }
        Ok(())
    }

    fn push(&mut self, container: Container) -> Result<(), DecodeError> {
        if self.stack.len() >= NESTING_DEPTH_MAX {
            return Err(DecodeError::Malformed {
                what: self.what,
                message: format!("JSON nested deeper than {NESTING_DEPTH_MAX} levels"),
            });
        }
        self.stack.push(Frame::new(container));
        Ok(())
    }

    /// Writes a delayed `{` now that the object turned out to be an ordinary one.
    fn flush_opener(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            if top.opener_pending {
                top.opener_pending = false;
                self.out.push(b'{');
                top.member_start = self.out.len();
            }
        }
    }

    /// Called before a string, a bare token or a container is written: a
    /// value in an object marks the current member as kept, unless it is the
    /// `null` that will cut the member out.
    fn begin_item(&mut self, is_null: bool) {
        self.flush_opener();
        // Only a value straight after the member's colon can be the member's
        // whole value; `"a":null null` stays broken.
        let after_colon = self.out.last() == Some(&b':');
        if let Some(top) = self.stack.last_mut() {
            if top.container == Container::Object && !top.at_key {
                if is_null && after_colon {
                    top.null_value_pending = true;
                } else {
                    top.has_members = true;
                }
            }
        }
    }

    /// Cuts out the current member if its value was `null`; returns whether
    /// it did.
    fn cut_null_member(&mut self) -> bool {
        match self.stack.last_mut() {
            Some(top) if top.null_value_pending => {
                top.null_value_pending = false;
                assert!(top.member_start <= self.out.len());
                self.out.truncate(top.member_start);
                true
            }
            _ => false,
        }
    }

    fn open_object(&mut self) -> Result<(), DecodeError> {
        let key_of_pending_object = self
            .stack
            .last()
            .is_some_and(|top| top.container == Container::Object && top.opener_pending);
        if key_of_pending_object {
            // The first key of this object is itself an object: fastjson's
            // Map<MessageQueue, V>. Rewrite the whole object as pairs.
            if let Some(top) = self.stack.last_mut() {
                top.container = Container::Pairs;
                top.opener_pending = false;
            }
            self.out.extend_from_slice(b"[[");
        } else {
            self.begin_item(false);
        }
        self.push(Container::Object)?;
        if let Some(top) = self.stack.last_mut() {
            top.opener_pending = true;
        }
        Ok(())
    }

    fn close_object(&mut self) {
        match self.stack.last().copied() {
            Some(top) if top.container == Container::Object && top.opener_pending => {
                self.out.extend_from_slice(b"{}");
                self.stack.pop();
            }
            Some(top) if top.container == Container::Object => {
                self.cut_null_member();
                self.out.push(b'}');
                self.stack.pop();
            }
            // Closing pairs right after a value; after a key or a comma the
            // `}` is copied as is, so that `{{..}}` stays broken.
            Some(top) if top.container == Container::Pairs && !top.at_key => {
                self.out.extend_from_slice(b"]]");
                self.stack.pop();
            }
            // A stray `}`: copied so that the parser reports it.
            _ => self.out.push(b'}'),
        }
    }

    fn close_array(&mut self) {
        self.flush_opener();
        if self
            .stack
            .last()
            .is_some_and(|top| top.container == Container::Array)
        {
            self.stack.pop();
        }
        self.out.push(b']');
    }

    fn colon(&mut self) {
        self.flush_opener();
        match self.stack.last_mut() {
            Some(top) if top.container == Container::Pairs => {
                top.at_key = false;
                self.out.push(b',');
            }
            Some(top) => {
                top.at_key = false;
                self.out.push(b':');
            }
            None => self.out.push(b':'),
        }
    }

    fn comma(&mut self) {
        self.flush_opener();
        let cut = self.cut_null_member();
        match self.stack.last_mut() {
            Some(top) if top.container == Container::Pairs && !top.at_key => {
                top.at_key = true;
                self.out.extend_from_slice(b"],[");
            }
            Some(top) if top.container == Container::Object => {
                top.at_key = true;
                top.member_start = self.out.len();
                // After members that were all cut out, this comma would open
                // the object with `{,`: drop it. Any other comma is kept, so
                // that `{,}` stays broken.
                if top.has_members || !cut {
                    self.out.push(b',');
                }
            }
            _ => self.out.push(b','),
        }
    }

    /// Copies a string, from just after its opening quote to its closing
    /// quote, honouring backslash escapes. An unterminated string is copied to
    /// the end of the input, where the parser reports it.
    fn copy_string(&mut self) {
        let mut escaped = false;
        let closing_quote = self.rest.iter().position(|&byte| {
            let is_end = !escaped && byte == b'"';
            escaped = !escaped && byte == b'\\';
            is_end
        });
        self.out.push(b'"');
        match closing_quote.and_then(|index| self.rest.split_at_checked(index)) {
            Some((contents, tail)) => {
                self.out.extend_from_slice(contents);
                self.out.push(b'"');
                self.rest = tail.get(1..).unwrap_or_default();
            }
            None => {
                self.out.extend_from_slice(self.rest);
                self.rest = &[];
            }
        }
    }

    /// A run of bytes outside strings that is not punctuation: a number,
    /// `true`, `false`, `null`, or garbage.
    fn bare_token(&mut self, first: u8) {
        let tail_length = self.rest.iter().position(|&byte| is_delimiter(byte));
        let (tail, rest) = match tail_length.and_then(|length| self.rest.split_at_checked(length)) {
            Some((tail, rest)) => (tail, rest),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        let is_null = first == b'n' && tail == b"ull";
        let top = self.stack.last().copied();
        match top {
            Some(top)
                if top.container == Container::Object && top.at_key && is_number(first, tail) =>
            {
                // fastjson's `{0:"addr"}`: quote the key. Other bare words
                // (`{a:1}`, `{'a':1}`) are copied for the parser to reject.
                self.flush_opener();
                self.out.push(b'"');
                self.out.push(first);
                self.out.extend_from_slice(tail);
                self.out.push(b'"');
            }
            _ => {
                // A `null` member value is cut out at the following `,` or
                // `}`: Java treats it as an absent member.
                self.begin_item(is_null);
                self.out.push(first);
                self.out.extend_from_slice(tail);
            }
        }
    }
}

/// Whether a bare token reads as a JSON number (loosely: the parser checks
/// the key's digits when it converts it to the map's key type).
fn is_number(first: u8, tail: &[u8]) -> bool {
    let number_byte =
        |byte: &u8| byte.is_ascii_digit() || matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E');
    (first.is_ascii_digit() || first == b'-') && tail.iter().all(number_byte)
}

fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b'{' | b'}' | b'[' | b']' | b':' | b',' | b'"' | b' ' | b'\t' | b'\n' | b'\r'
    )
}

/// Parses a standalone fastjson object-keyed map document, such as
/// `{{"brokerName":"b","queueId":0,"topic":"T"}:5}`, into its entries in
/// document order. `{}` and gson's `[[key,value],..]` are accepted too.
///
/// # Errors
///
/// [`DecodeError::Json`] if the document is not such a map of `K` to `V`;
/// [`DecodeError::Malformed`] if it nests too deep.
pub fn decode_object_keyed_map<K, V>(
    what: &'static str,
    bytes: &[u8],
) -> Result<Vec<(K, V)>, DecodeError>
where
    K: de::DeserializeOwned,
    V: de::DeserializeOwned,
{
    let standard = normalize(what, bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(&standard);
    let entries = object_keyed_map(&mut deserializer)
        .and_then(|entries| deserializer.end().map(|()| entries))
        .map_err(|err| DecodeError::json(what, &err))?;
    Ok(entries)
}

/// Deserialises a `Map<K, V>` that fastjson wrote with object keys, after
/// [`normalize`]: a sequence of `[key, value]` pairs. An empty object `{}` is
/// the empty map; an object with string keys is refused because its keys
/// cannot be objects. Use with `#[serde(deserialize_with = "...")]`.
///
/// # Errors
///
/// Any shape other than the two above, or a pair that is not `[K, V]`.
pub fn object_keyed_map<'de, D, K, V>(deserializer: D) -> Result<Vec<(K, V)>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    deserializer.deserialize_any(PairsVisitor(PhantomData))
}

struct PairsVisitor<K, V>(PhantomData<(K, V)>);

impl<'de, K, V> Visitor<'de> for PairsVisitor<K, V>
where
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    type Value = Vec<(K, V)>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a map with object keys ({{key}:value} or [[key,value]])")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The size hint comes from the peer: cap what is reserved up front.
        let mut pairs = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(pair) = seq.next_element::<(K, V)>()? {
            pairs.push(pair);
        }
        Ok(pairs)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        match map.next_key::<de::IgnoredAny>()? {
            None => Ok(Vec::new()),
            Some(_) => Err(de::Error::custom("object-keyed map has a string key")),
        }
    }
}

/// Writes `entries` the way fastjson writes a `Map<K, V>` whose keys are
/// objects: `{{"brokerName":"b","queueId":0,"topic":"T"}:5,...}`. This is not
/// standard JSON; Java's admin tools and the Go client read it.
pub fn write_object_keyed_map<K: Serialize, V: Serialize>(out: &mut Vec<u8>, entries: &[(K, V)]) {
    out.push(b'{');
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_json(out, key);
        out.push(b':');
        write_json(out, value);
    }
    out.push(b'}');
}

/// Appends the compact standard JSON of `value` to `out`.
///
/// Every body type in this module serialises without error (map keys are
/// strings or integers, and serde_json writes a non-finite float as `null`),
/// so a failure here is our bug, not the peer's.
pub(crate) fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let result = serde_json::to_writer(&mut *out, value);
    assert!(result.is_ok(), "serialising a body cannot fail: {result:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(input: &str) -> String {
        let out = normalize("test", input.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn bare_numeric_keys_are_quoted() {
        assert_eq!(
            normalized(r#"{0:"a",1:"b",-3:"c"}"#),
            r#"{"0":"a","1":"b","-3":"c"}"#
        );
        assert_eq!(
            normalized(r#"{"t":{0:12, 1 : 34}}"#),
            r#"{"t":{"0":12,"1":34}}"#
        );
    }

    #[test]
    fn string_contents_are_untouched() {
        let input = r#"{"k":"{0:1}, \"x\":null [ ]","e":"\\","u":"\u00e9 é"}"#;
        assert_eq!(normalized(input), input);
    }

    #[test]
    fn standard_json_passes_through_without_whitespace() {
        let input = "{ \"a\" : [ 1 , 2 ] ,\n\"b\" : { } , \"c\": true }";
        assert_eq!(normalized(input), r#"{"a":[1,2],"b":{},"c":true}"#);
    }

    #[test]
    fn null_members_are_cut_out() {
        assert_eq!(normalized(r#"{"a":null}"#), "{}");
        assert_eq!(normalized(r#"{"a":null,"b":1}"#), r#"{"b":1}"#);
        assert_eq!(normalized(r#"{"a":1,"b":null}"#), r#"{"a":1}"#);
        assert_eq!(normalized(r#"{"a":1,"b":null,"c":2}"#), r#"{"a":1,"c":2}"#);
        assert_eq!(
            normalized(r#"{"a":null,"b":null,"c":{"d":null}}"#),
            r#"{"c":{}}"#
        );
        // Nulls in arrays and at the top are values, not absent members.
        assert_eq!(normalized("[null,1]"), "[null,1]");
        assert_eq!(normalized("null"), "null");
    }

    #[test]
    fn object_keyed_maps_become_pairs() {
        let input = r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5,
            {"brokerName":"b","queueId":1,"topic":"T"}:{"x":1}},"tps":1.5}"#;
        assert_eq!(
            normalized(input),
            concat!(
                r#"{"offsetTable":[[{"brokerName":"b","queueId":0,"topic":"T"},5],"#,
                r#"[{"brokerName":"b","queueId":1,"topic":"T"},{"x":1}]],"tps":1.5}"#
            )
        );
        assert_eq!(normalized(r#"{"offsetTable":{}}"#), r#"{"offsetTable":{}}"#);
    }

    #[test]
    fn broken_documents_stay_broken() {
        for input in [
            r#"{"a":1 "b":2}"#,
            r#"{"a":1,}"#,
            r#"{"a":"#,
            r#"{"a":"unterminated"#,
            "}",
            "]]",
            "{{",
            r#"{{"a":1}:"#,
            "",
            "{,}",
            "{a:1}",
            "{{}}",
            r#"{{"a":1}:1,}"#,
            r#"{{"a":1}:1,,{"a":2}:2}"#,
            "{'a':1}",
            "{true:1}",
            r#"{"a":null "b":1}"#,
            r#"{"a":null,,"b":1}"#,
            r#"{"a":null]}"#,
            r#"{"a":null:1}"#,
            r#"{"a":null null}"#,
            r#"{"a":null{}}"#,
        ] {
            let out = normalize("test", input.as_bytes()).unwrap();
            let parsed = serde_json::from_slice::<serde_json::Value>(&out);
            assert!(
                parsed.is_err(),
                "{input:?} became {:?}",
                String::from_utf8_lossy(&out)
            );
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let deep = "[".repeat(NESTING_DEPTH_MAX + 1);
        assert!(matches!(
            normalize("test", deep.as_bytes()),
            Err(DecodeError::Malformed { .. })
        ));
        let ok = "[".repeat(NESTING_DEPTH_MAX);
        assert!(normalize("test", ok.as_bytes()).is_ok());
    }

    #[test]
    fn standalone_object_keyed_map_decodes_to_entries() {
        use crate::body::MessageQueue;
        let map = br#"{{"brokerName":"b","queueId":0,"topic":"T"}:5, {"brokerName":"b","queueId":1,"topic":"T"}:-6}"#;
        let entries: Vec<(MessageQueue, i64)> = decode_object_keyed_map("test", map).unwrap();
        assert_eq!(
            entries,
            vec![
                (MessageQueue::new("T", "b", 0), 5),
                (MessageQueue::new("T", "b", 1), -6)
            ]
        );
        let empty: Vec<(MessageQueue, i64)> = decode_object_keyed_map("test", b"{}").unwrap();
        assert!(empty.is_empty());
        let trailing = decode_object_keyed_map::<MessageQueue, i64>("test", b"{} {}");
        assert!(trailing.is_err());
    }

    #[test]
    fn object_keyed_map_writes_fastjson_shape() {
        #[derive(Serialize)]
        struct Key {
            a: i32,
        }
        let mut out = Vec::new();
        write_object_keyed_map(&mut out, &[(Key { a: 1 }, 5_i64), (Key { a: 2 }, 6)]);
        assert_eq!(out, br#"{{"a":1}:5,{"a":2}:6}"#);
        let mut empty = Vec::new();
        write_object_keyed_map::<Key, i64>(&mut empty, &[]);
        assert_eq!(empty, b"{}");
    }
}
