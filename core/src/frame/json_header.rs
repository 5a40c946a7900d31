//! The JSON header (serialize type 0, REMOTING.md §1.3).
//!
//! A JSON object with members `code`, `language`, `version`, `opaque`, `flag`,
//! `remark`, `extFields` and `serializeTypeCurrentRPC`.
//!
//! Input is read as leniently as the Java broker reads it (fastjson, trap 30):
//! members in any order, unknown members ignored, a repeated member keeps its
//! last value; `remark`, `extFields`, `language`, `version`, `opaque` and `flag`
//! may be missing or `null` (`language` then defaults to JAVA, the integers to
//! 0); `language` may be a name or a number, and an unknown name decodes to
//! [`LanguageCode::Other`]; integers may also arrive as decimal strings;
//! `extFields` values that are numbers, booleans, objects or arrays are kept as
//! their JSON text (trap 25), and a `null` value removes the key (as fastjson's
//! `HashMap.put(key, null)` does); bytes that are not UTF-8 are replaced by
//! U+FFFD, as Java's `new String(bytes, UTF_8)` does. Only `code` is required.
//!
//! Decoding first tries the hand-written single-pass decoder of `json_fast`,
//! which reads the flat shape nearly every client sends and refuses anything
//! else; serde decodes what it refuses. Both give the same fields for every
//! input the fast one accepts (a differential proptest checks it).
//!
//! Output is strict and compact (traps 24, 29): members in fastjson's
//! alphabetical order, `remark` and `extFields` omitted when absent or empty,
//! every `extFields` value a JSON string, control characters escaped.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json_fast::decode_json_header_fast;
use super::json_writer::{write_json_i32, write_json_string};
use super::{HeaderFields, RemotingCommand, SerializeType};
use crate::code::LanguageCode;
use crate::{DecodeError, ExtFields};

const WHAT: &str = "JSON header";

/// Decodes a JSON header (the `H` bytes after the header word).
///
/// # Errors
///
/// [`DecodeError::Json`] when the bytes are not one JSON object (trailing
/// whitespace aside), `code` is missing, or a member has a type that cannot be
/// read as described in the module docs (for example an integer outside i32).
pub fn decode_json_header(bytes: &[u8]) -> Result<HeaderFields, DecodeError> {
    // Nearly every header has the flat shape the hand-written decoder reads;
    // it refuses anything else, and serde then decides.
    match decode_json_header_fast(bytes) {
        Some(header) => Ok(header),
        None => decode_json_header_serde(bytes),
    }
}

/// [`decode_json_header`] through serde alone: the reference that
/// `decode_json_header_fast` is tested against.
pub(super) fn decode_json_header_serde(bytes: &[u8]) -> Result<HeaderFields, DecodeError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    let header = (&mut deserializer)
        .deserialize_map(HeaderVisitor)
        .map_err(|err| DecodeError::json(WHAT, &err))?;
    deserializer
        .end()
        .map_err(|err| DecodeError::json(WHAT, &err))?;
    Ok(header)
}

/// Appends the JSON header of `command` (its body and serialize type are not
/// looked at) to `out`.
pub fn encode_json_header(command: &RemotingCommand, out: &mut BytesMut) {
    let length_before = out.len();
    out.put_slice(b"{\"code\":");
    write_json_i32(out, command.code);
    if !command.ext_fields.is_empty() {
        out.put_slice(b",\"extFields\":{");
        for (index, (key, value)) in command.ext_fields.iter().enumerate() {
            if index > 0 {
                out.put_u8(b',');
            }
            write_json_string(out, key);
            out.put_u8(b':');
            write_json_string(out, value);
        }
        out.put_u8(b'}');
    }
    out.put_slice(b",\"flag\":");
    write_json_i32(out, command.flag);
    out.put_slice(b",\"language\":");
    match command.language.name() {
        Some(name) => write_json_string(out, name),
        // An unknown byte has no name; its number decodes back to the same value.
        None => write_json_i32(out, i32::from(command.language.as_byte())),
    }
    out.put_slice(b",\"opaque\":");
    write_json_i32(out, command.opaque);
    if let Some(remark) = &command.remark {
        out.put_slice(b",\"remark\":");
        write_json_string(out, remark);
    }
    out.put_slice(b",\"serializeTypeCurrentRPC\":");
    write_json_string(out, SerializeType::Json.name());
    out.put_slice(b",\"version\":");
    write_json_i32(out, command.version);
    out.put_u8(b'}');
    assert!(out.len() > length_before, "JSON header encoded to nothing");
}

/// The members of the header object that we read.
enum HeaderKey {
    Code,
    Language,
    Version,
    Opaque,
    Flag,
    Remark,
    ExtFields,
    Ignored,
}

impl<'de> Deserialize<'de> for HeaderKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(HeaderKeyVisitor)
    }
}

struct HeaderKeyVisitor;

impl Visitor<'_> for HeaderKeyVisitor {
    type Value = HeaderKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a header member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<HeaderKey, E> {
        Ok(match key {
            "code" => HeaderKey::Code,
            "language" => HeaderKey::Language,
            "version" => HeaderKey::Version,
            "opaque" => HeaderKey::Opaque,
            "flag" => HeaderKey::Flag,
            "remark" => HeaderKey::Remark,
            "extFields" => HeaderKey::ExtFields,
            _ => HeaderKey::Ignored,
        })
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = HeaderFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a remoting header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderFields, A::Error> {
        let mut code = None;
        let mut header = HeaderFields::java_defaults();
        while let Some(key) = map.next_key::<HeaderKey>()? {
            match key {
                HeaderKey::Code => code = map.next_value::<Option<LenientI32>>()?.map(|v| v.0),
                HeaderKey::Language => {
                    let language = map.next_value::<Option<LenientLanguage>>()?;
                    header.language = language.map_or(LanguageCode::Java, |l| l.0);
                }
                HeaderKey::Version => header.version = lenient_i32_or_zero(&mut map)?,
                HeaderKey::Opaque => header.opaque = lenient_i32_or_zero(&mut map)?,
                HeaderKey::Flag => header.flag = lenient_i32_or_zero(&mut map)?,
                HeaderKey::Remark => {
                    header.remark = map.next_value::<Option<LenientString>>()?.map(|s| s.0);
                }
                HeaderKey::ExtFields => {
                    let ext_fields = map.next_value::<Option<LenientExtFields>>()?;
                    header.ext_fields = ext_fields.map(|e| e.0).unwrap_or_default();
                }
                HeaderKey::Ignored => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        header.code = code.ok_or_else(|| de::Error::missing_field("code"))?;
        Ok(header)
    }
}

fn lenient_i32_or_zero<'de, A: MapAccess<'de>>(map: &mut A) -> Result<i32, A::Error> {
    Ok(map.next_value::<Option<LenientI32>>()?.map_or(0, |v| v.0))
}

/// An i32 given as a JSON integer, an integral float, or a decimal string.
struct LenientI32(i32);

impl<'de> Deserialize<'de> for LenientI32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientI32Visitor)
    }
}

struct LenientI32Visitor;

impl Visitor<'_> for LenientI32Visitor {
    type Value = LenientI32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer in the i32 range")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<LenientI32, E> {
        i32::try_from(value)
            .map(LenientI32)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<LenientI32, E> {
        i32::try_from(value)
            .map(LenientI32)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<LenientI32, E> {
        let in_range = value >= f64::from(i32::MIN) && value <= f64::from(i32::MAX);
        if in_range && value.fract() == 0.0 {
            // In range and integral, so the conversion is exact.
            #[allow(clippy::cast_possible_truncation)]
            return Ok(LenientI32(value as i32));
        }
        Err(E::invalid_value(de::Unexpected::Float(value), &self))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<LenientI32, E> {
        value
            .trim()
            .parse::<i32>()
            .map(LenientI32)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(value), &self))
    }
}

/// A language given as a name or a number; unknown ones are kept (trap 13).
struct LenientLanguage(LanguageCode);

impl<'de> Deserialize<'de> for LenientLanguage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientLanguageVisitor)
    }
}

struct LenientLanguageVisitor;

impl Visitor<'_> for LenientLanguageVisitor {
    type Value = LenientLanguage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a language name or number")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<LenientLanguage, E> {
        Ok(LenientLanguage(
            LanguageCode::from_name(name).unwrap_or(LanguageCode::Other),
        ))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<LenientLanguage, E> {
        Ok(LenientLanguage(match u8::try_from(value) {
            Ok(byte) => LanguageCode::from_byte(byte),
            Err(_) => LanguageCode::Other,
        }))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<LenientLanguage, E> {
        Ok(LenientLanguage(match u8::try_from(value) {
            Ok(byte) => LanguageCode::from_byte(byte),
            Err(_) => LanguageCode::Other,
        }))
    }
}

/// A string, or any other JSON value kept as its compact JSON text.
struct LenientString(String);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientStringVisitor)
    }
}

struct LenientStringVisitor;

impl<'de> Visitor<'de> for LenientStringVisitor {
    type Value = LenientString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a JSON value to stringify")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<LenientString, E> {
        Ok(LenientString(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<LenientString, E> {
        Ok(LenientString(value))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<LenientString, E> {
        Ok(LenientString(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<LenientString, E> {
        Ok(LenientString(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<LenientString, E> {
        Ok(LenientString(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<LenientString, E> {
        // serde_json's shortest form: `1e300` stays short, `1.0` stays `1.0`.
        match serde_json::Number::from_f64(value) {
            Some(number) => Ok(LenientString(number.to_string())),
            None => Err(E::invalid_value(de::Unexpected::Float(value), &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientString, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(LenientString(value.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LenientString, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(LenientString(value.to_string()))
    }
}

/// `extFields`: string keys to lenient values; a `null` value removes its key.
struct LenientExtFields(ExtFields);

impl<'de> Deserialize<'de> for LenientExtFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LenientExtFieldsVisitor)
    }
}

struct LenientExtFieldsVisitor;

impl<'de> Visitor<'de> for LenientExtFieldsVisitor {
    type Value = LenientExtFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an extFields object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientExtFields, A::Error> {
        let mut ext_fields = ExtFields::new();
        while let Some(key) = map.next_key::<String>()? {
            match map.next_value::<Option<LenientString>>()? {
                Some(value) => ext_fields.insert(key, value.0),
                None => ext_fields.remove(&key),
            };
        }
        Ok(LenientExtFields(ext_fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> HeaderFields {
        decode_json_header(text.as_bytes()).unwrap()
    }

    #[test]
    fn go_header_without_serialize_type_decodes() {
        let header = decode(
            r#"{"code":11,"language":"GO","version":317,"opaque":3,"flag":0,"remark":"",
                "extFields":{"topic":"T","subscription":""}}"#,
        );
        assert_eq!(header.code, 11);
        assert_eq!(header.language, LanguageCode::Go);
        assert_eq!(header.version, 317);
        assert_eq!(header.opaque, 3);
        assert_eq!(header.remark.as_deref(), Some(""));
        assert_eq!(
            header.ext_fields.get("subscription").map(String::as_str),
            Some("")
        );
    }

    #[test]
    fn missing_and_null_members_take_java_defaults() {
        let header = decode(r#"{"code":34,"remark":null,"extFields":null,"language":null}"#);
        assert_eq!(header.language, LanguageCode::Java);
        assert_eq!((header.version, header.opaque, header.flag), (0, 0, 0));
        assert_eq!(header.remark, None);
        assert!(header.ext_fields.is_empty());
    }

    #[test]
    fn sloppy_ext_field_values_are_stringified() {
        let header = decode(
            r#"{"code":10,"extFields":{"a":5,"b":true,"c":-1.5,"d":{"x":[1,null]},"e":null,
                "f":"1","f":null,"g":18446744073709551615}}"#,
        );
        let value = |key: &str| header.ext_fields.get(key).map(String::as_str);
        assert_eq!(value("a"), Some("5"));
        assert_eq!(value("b"), Some("true"));
        assert_eq!(value("c"), Some("-1.5"));
        assert_eq!(value("d"), Some(r#"{"x":[1,null]}"#));
        assert_eq!(value("e"), None);
        assert_eq!(value("f"), None);
        assert_eq!(value("g"), Some("18446744073709551615"));
    }

    #[test]
    fn language_may_be_a_number_or_an_unknown_name() {
        assert_eq!(
            decode(r#"{"code":1,"language":12}"#).language,
            LanguageCode::Rust
        );
        assert_eq!(
            decode(r#"{"code":1,"language":99}"#).language,
            LanguageCode::Unknown(99)
        );
        assert_eq!(
            decode(r#"{"code":1,"language":-1}"#).language,
            LanguageCode::Other
        );
        assert_eq!(
            decode(r#"{"code":1,"language":"COBOL"}"#).language,
            LanguageCode::Other
        );
    }

    #[test]
    fn integers_may_be_strings_or_integral_floats() {
        let header = decode(r#"{"code":"310","opaque":7.0,"flag":" 1 "}"#);
        assert_eq!((header.code, header.opaque, header.flag), (310, 7, 1));
    }

    #[test]
    fn repeated_member_keeps_its_last_value() {
        assert_eq!(
            decode(r#"{"code":1,"code":2,"unknown":[{"deep":1}]}"#).code,
            2
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let header = decode_json_header(b"{\"code\":1,\"remark\":\"a\xFFb\"}").unwrap();
        assert_eq!(header.remark.as_deref(), Some("a\u{FFFD}b"));
    }

    #[test]
    fn malformed_headers_are_json_errors() {
        for text in [
            "",
            "{",
            "[]",
            "null",
            r#"{"opaque":1}"#,
            r#"{"code":2147483648}"#,
            r#"{"code":1.5}"#,
            r#"{"code":1,"extFields":[]}"#,
            r#"{"code":1,"language":{}}"#,
            r#"{"code":1} x"#,
            r#"{"code":1,"remark":"a\u0001"#,
        ] {
            let err = decode_json_header(text.as_bytes()).unwrap_err();
            assert!(matches!(err, DecodeError::Json { .. }), "{text}: {err}");
        }
    }

    #[test]
    fn encoding_is_compact_alphabetical_and_strict() {
        let command = RemotingCommand::request(310)
            .with_opaque(7)
            .with_remark(Some("r\u{1}".into()))
            .with_ext_field("b", "x\"y")
            .with_ext_field("a", "1");
        let mut out = BytesMut::new();
        encode_json_header(&command, &mut out);
        let expected = concat!(
            r#"{"code":310,"extFields":{"a":"1","b":"x\"y"},"flag":0,"language":"JAVA","#,
            r#""opaque":7,"remark":"r\u0001","serializeTypeCurrentRPC":"JSON","version":479}"#,
        );
        assert_eq!(std::str::from_utf8(&out).unwrap(), expected);
    }

    #[test]
    fn absent_remark_and_empty_ext_fields_are_omitted() {
        let mut out = BytesMut::new();
        encode_json_header(&RemotingCommand::request(105).with_opaque(-1), &mut out);
        let expected = concat!(
            r#"{"code":105,"flag":0,"language":"JAVA","opaque":-1,"#,
            r#""serializeTypeCurrentRPC":"JSON","version":479}"#,
        );
        assert_eq!(std::str::from_utf8(&out).unwrap(), expected);
    }
}
