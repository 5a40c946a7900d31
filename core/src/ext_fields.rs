//! `extFields`: the string-to-string map that carries a command's custom
//! header (REMOTING.md §1.7). Kept sorted so that encoding is deterministic
//! (fastjson also writes keys in order).
//!
//! Beside the [`ExtFields`] alias this module holds the typed readers and
//! writers that every header in [`crate::header`] is built from. They copy
//! the Java decoder's quirks (`RemotingCommand.decodeCommandCustomHeader`),
//! because that is what every client was tested against:
//!
//! | situation | required field | optional field |
//! | --- | --- | --- |
//! | key missing | [`DecodeError::MissingField`] with the Java field name | `None` |
//! | `""` (Go sends it for unset values) | a `String` keeps `""`; a number is [`DecodeError::InvalidField`]; a bool is `false` | `None` |
//! | number that does not parse as i32/i64 | [`DecodeError::InvalidField`] | `None` (Java logs and leaves the field null) |
//! | boolean | `true` iff the value is `"true"` in any case (`Boolean.parseBoolean`) | same, when not `""` |
//!
//! Optional fields that fail to parse are deliberately *absent* rather than an
//! error: the Java broker behaves that way, and trap 30 asks us to be at least
//! as lenient. Required numbers are strict, because a request without them
//! cannot be served (Java would throw a NullPointerException later).
//!
//! Writing: numbers in decimal, booleans as `"true"`/`"false"`, enums by their
//! Java name; absent optionals are omitted. A `Some("")` optional string is
//! also omitted, since a reader cannot tell it from absent anyway.

use std::collections::BTreeMap;

use crate::error::DecodeError;

/// The custom header of a remoting command.
pub type ExtFields = BTreeMap<String, String>;

/// What kind of text a header field carries; used by tests and fuzzers to
/// build plausible values, and by docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text (Java `String`).
    Text,
    /// A decimal Java `int`.
    Int32,
    /// A decimal Java `long`.
    Int64,
    /// A Java boolean (`Boolean.parseBoolean`).
    Bool,
    /// A Java enum written by name; the slice lists the names.
    Enum(&'static [&'static str]),
}

/// A value that can live in one extFields entry.
pub trait ExtValue: Sized {
    /// The kind of text this value is written as.
    const KIND: ValueKind;
    /// Parses the text of field `field`.
    ///
    /// # Errors
    /// [`DecodeError::InvalidField`] when the text is not a value of this type.
    fn parse_ext(field: &'static str, text: &str) -> Result<Self, DecodeError>;
    /// The text written on the wire.
    fn to_ext(&self) -> String;
}

impl ExtValue for String {
    const KIND: ValueKind = ValueKind::Text;
    fn parse_ext(_field: &'static str, text: &str) -> Result<Self, DecodeError> {
        Ok(text.to_owned())
    }
    fn to_ext(&self) -> String {
        self.clone()
    }
}

impl ExtValue for i32 {
    const KIND: ValueKind = ValueKind::Int32;
    fn parse_ext(field: &'static str, text: &str) -> Result<Self, DecodeError> {
        // `str::parse` accepts exactly what `Integer.parseInt` accepts for
        // ASCII input: an optional sign and decimal digits, no whitespace.
        text.parse::<i32>()
            .map_err(|_| invalid(field, text, "a 32-bit integer"))
    }
    fn to_ext(&self) -> String {
        self.to_string()
    }
}

impl ExtValue for i64 {
    const KIND: ValueKind = ValueKind::Int64;
    fn parse_ext(field: &'static str, text: &str) -> Result<Self, DecodeError> {
        text.parse::<i64>()
            .map_err(|_| invalid(field, text, "a 64-bit integer"))
    }
    fn to_ext(&self) -> String {
        self.to_string()
    }
}

impl ExtValue for bool {
    const KIND: ValueKind = ValueKind::Bool;
    fn parse_ext(_field: &'static str, text: &str) -> Result<Self, DecodeError> {
        Ok(parse_java_bool(text))
    }
    fn to_ext(&self) -> String {
        if *self { "true" } else { "false" }.to_owned()
    }
}

/// Java `Boolean.parseBoolean`: `true` iff `text` is "true" in any case.
pub fn parse_java_bool(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

/// Builds the [`DecodeError::InvalidField`] for `field`; the value is kept
/// (at most 64 bytes of it) so that the log line shows what the peer sent.
pub fn invalid(field: &'static str, text: &str, expected: &'static str) -> DecodeError {
    const VALUE_SHOWN_BYTES_MAX: usize = 64;
    let mut end = text.len().min(VALUE_SHOWN_BYTES_MAX);
    while !text.is_char_boundary(end) {
        // `end` > 0 here: index 0 is always a char boundary.
        end = end.saturating_sub(1);
    }
    let value = text.get(..end).unwrap_or_default().to_owned();
    assert!(
        value.len() <= VALUE_SHOWN_BYTES_MAX,
        "value cut to {} bytes",
        value.len()
    );
    DecodeError::InvalidField {
        field,
        value,
        expected,
    }
}

/// Reads a required field (Java `@CFNotNull`).
///
/// # Errors
/// [`DecodeError::MissingField`] naming `field` when the key is absent;
/// [`DecodeError::InvalidField`] when the value does not parse.
pub fn required<T: ExtValue>(fields: &ExtFields, field: &'static str) -> Result<T, DecodeError> {
    match fields.get(field) {
        None => Err(DecodeError::MissingField { field }),
        Some(text) => T::parse_ext(field, text),
    }
}

/// Reads an optional field: absent, `""` and unparsable values are `None`.
pub fn optional<T: ExtValue>(fields: &ExtFields, field: &'static str) -> Option<T> {
    let text = fields.get(field)?;
    if text.is_empty() {
        return None;
    }
    T::parse_ext(field, text).ok()
}

/// Reads an optional field that has a Java default (a primitive or an
/// initialised field without `@CFNotNull`): `default` when [`optional`]
/// would give `None`.
pub fn or_default<T: ExtValue>(fields: &ExtFields, field: &'static str, default: T) -> T {
    optional(fields, field).unwrap_or(default)
}

/// Writes a field that is always present.
pub fn put<T: ExtValue>(fields: &mut ExtFields, field: &'static str, value: &T) {
    assert!(!field.is_empty(), "header field names are never empty");
    fields.insert(field.to_owned(), value.to_ext());
}

/// Writes an optional field; `None` and empty text are omitted.
pub fn put_opt<T: ExtValue>(fields: &mut ExtFields, field: &'static str, value: &Option<T>) {
    assert!(!field.is_empty(), "header field names are never empty");
    if let Some(value) = value {
        let text = value.to_ext();
        if !text.is_empty() {
            fields.insert(field.to_owned(), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ExtFields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn java_bool_is_case_insensitive_true_and_false_otherwise() {
        assert!(parse_java_bool("true"));
        assert!(parse_java_bool("True"));
        assert!(parse_java_bool("TRUE"));
        assert!(!parse_java_bool("false"));
        assert!(!parse_java_bool("1"));
        assert!(!parse_java_bool(""));
        assert!(!parse_java_bool(" true"));
    }

    #[test]
    fn missing_required_field_names_the_java_field() {
        let err = required::<i32>(&map(&[]), "queueId").unwrap_err();
        assert_eq!(err, DecodeError::MissingField { field: "queueId" });
    }

    #[test]
    fn required_number_rejects_empty_and_out_of_range() {
        let f = map(&[("a", ""), ("b", "2147483648"), ("c", " 1"), ("d", "+7")]);
        assert!(matches!(
            required::<i32>(&f, "a"),
            Err(DecodeError::InvalidField { .. })
        ));
        assert!(matches!(
            required::<i32>(&f, "b"),
            Err(DecodeError::InvalidField { .. })
        ));
        assert!(matches!(
            required::<i64>(&f, "c"),
            Err(DecodeError::InvalidField { .. })
        ));
        assert_eq!(required::<i32>(&f, "d"), Ok(7));
        assert_eq!(required::<i64>(&f, "b"), Ok(2_147_483_648));
    }

    #[test]
    fn required_string_keeps_empty_text() {
        assert_eq!(
            required::<String>(&map(&[("t", "")]), "t"),
            Ok(String::new())
        );
    }

    #[test]
    fn optional_treats_empty_and_garbage_as_absent() {
        let f = map(&[("a", ""), ("b", "x"), ("c", "-5"), ("d", "")]);
        assert_eq!(optional::<i32>(&f, "a"), None);
        assert_eq!(optional::<i32>(&f, "b"), None);
        assert_eq!(optional::<i64>(&f, "c"), Some(-5));
        assert_eq!(optional::<String>(&f, "d"), None);
        assert!(or_default::<bool>(&f, "missing", true));
    }

    #[test]
    fn invalid_field_value_is_cut_on_a_char_boundary() {
        let long = "é".repeat(100);
        match invalid("f", &long, "x") {
            DecodeError::InvalidField { value, .. } => {
                assert!(value.len() <= 64);
                assert!(long.starts_with(&value));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn writers_omit_absent_and_empty_optionals() {
        let mut f = ExtFields::new();
        put(&mut f, "n", &-3i64);
        put(&mut f, "b", &true);
        put_opt::<String>(&mut f, "none", &None);
        put_opt(&mut f, "empty", &Some(String::new()));
        put_opt(&mut f, "some", &Some(5i32));
        assert_eq!(f, map(&[("n", "-3"), ("b", "true"), ("some", "5")]));
    }
}
