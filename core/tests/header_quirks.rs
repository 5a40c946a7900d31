//! The extFields reading rules hold for every registered header
//! (REMOTING.md §1.7, traps 12, 25, 30): Go's `""` for an unset optional
//! field means absent; a missing required field is an error naming the Java
//! field; a required number that does not parse is an error naming it;
//! booleans are Java booleans (`"True"` is true); fields with a Java default
//! take it when absent and are always written. Each test walks the whole
//! registry, building maps from each header's field table.

mod header_support;

use header_support::{full_map, required_map};
use thrust_core::error::DecodeError;
use thrust_core::ext_fields::{ExtFields, ValueKind};
use thrust_core::for_each_header;
use thrust_core::header::*;

/// One registered header, type-erased: decoding returns the re-encoded map.
struct Case {
    name: &'static str,
    fields: &'static [FieldSpec],
    /// The table `encode` writes: the same as `fields` except for the send
    /// header, which reads V1 names here and writes V2 names.
    written: &'static [FieldSpec],
    decode: fn(&ExtFields) -> Result<ExtFields, DecodeError>,
    default_encoded: fn() -> ExtFields,
}

fn decode_encode<H: CommandHeader>(map: &ExtFields) -> Result<ExtFields, DecodeError> {
    H::from_ext_fields(map).map(|h| h.encode())
}

fn default_encoded<H: CommandHeader + Default>() -> ExtFields {
    H::default().encode()
}

fn written_fields<H: CommandHeader>() -> &'static [FieldSpec] {
    if H::NAME == SendMessageRequestHeader::NAME {
        SEND_MESSAGE_FIELDS_V2
    } else {
        H::FIELDS
    }
}

impl Case {
    /// The key under which field `index` of `fields` is written.
    fn written_name(&self, index: usize) -> &'static str {
        assert_eq!(self.fields.len(), self.written.len(), "{}", self.name);
        self.written[index].name
    }
}

macro_rules! cases {
    ($($header:ident),* $(,)?) => {
        vec![$(
            Case {
                name: <$header as CommandHeader>::NAME,
                fields: <$header as CommandHeader>::FIELDS,
                written: written_fields::<$header>(),
                decode: decode_encode::<$header>,
                default_encoded: default_encoded::<$header>,
            },
        )*]
    };
}

fn all_cases() -> Vec<Case> {
    for_each_header!(cases)
}

#[test]
fn registry_has_no_duplicate_headers_or_keys() {
    let cases = all_cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "a header is registered twice");
    for case in &cases {
        let mut keys: Vec<&str> = case.fields.iter().map(|f| f.name).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), case.fields.len(), "{} repeats a key", case.name);
    }
}

#[test]
fn go_style_empty_optional_fields_decode_as_absent() {
    for case in all_cases() {
        let mut go_style = required_map(case.fields);
        for spec in case
            .fields
            .iter()
            .filter(|s| s.presence != Presence::Required)
        {
            go_style.insert(spec.name.to_owned(), String::new());
        }
        let from_go = (case.decode)(&go_style);
        let from_minimal = (case.decode)(&required_map(case.fields));
        assert!(from_go.is_ok(), "{}: {:?}", case.name, from_go);
        assert_eq!(from_go, from_minimal, "{}", case.name);
    }
}

#[test]
fn missing_required_field_error_names_the_java_field() {
    for case in all_cases() {
        for spec in case
            .fields
            .iter()
            .filter(|s| s.presence == Presence::Required)
        {
            let mut map = full_map(case.fields);
            map.remove(spec.name);
            assert_eq!(
                (case.decode)(&map),
                Err(DecodeError::MissingField { field: spec.name }),
                "{} without {}",
                case.name,
                spec.name
            );
        }
    }
}

#[test]
fn unparsable_required_number_error_names_the_field() {
    for case in all_cases() {
        let numbers = case.fields.iter().filter(|s| {
            s.presence == Presence::Required
                && matches!(s.kind, ValueKind::Int32 | ValueKind::Int64)
        });
        for spec in numbers {
            for bad in ["", "1.5", " 1", "0x10", "99999999999999999999"] {
                let mut map = full_map(case.fields);
                map.insert(spec.name.to_owned(), bad.to_owned());
                let result = (case.decode)(&map);
                assert!(
                    matches!(&result, Err(DecodeError::InvalidField { field, .. }) if *field == spec.name),
                    "{}.{} = {:?} gave {:?}",
                    case.name,
                    spec.name,
                    bad,
                    result
                );
            }
        }
    }
}

#[test]
fn unparsable_optional_number_reads_as_absent() {
    for case in all_cases() {
        let numbers = case.fields.iter().enumerate().filter(|(_, s)| {
            s.presence == Presence::Optional
                && matches!(s.kind, ValueKind::Int32 | ValueKind::Int64)
        });
        for (index, spec) in numbers {
            let mut map = required_map(case.fields);
            map.insert(spec.name.to_owned(), "twelve".to_owned());
            let encoded = (case.decode)(&map).expect("optional garbage is not an error");
            assert!(
                !encoded.contains_key(case.written_name(index)),
                "{}",
                spec.name
            );
        }
    }
}

#[test]
fn capitalised_true_parses_as_true_and_other_text_as_false() {
    let mut bool_fields_seen = 0;
    for case in all_cases() {
        for (index, spec) in case.fields.iter().enumerate() {
            if spec.kind != ValueKind::Bool {
                continue;
            }
            bool_fields_seen += 1;
            for (text, expected) in [("True", "true"), ("TRUE", "true"), ("yes", "false")] {
                let mut map = required_map(case.fields);
                map.insert(spec.name.to_owned(), text.to_owned());
                let encoded = (case.decode)(&map).expect("valid map");
                assert_eq!(
                    encoded.get(case.written_name(index)).map(String::as_str),
                    Some(expected),
                    "{}.{} = {:?}",
                    case.name,
                    spec.name,
                    text
                );
            }
        }
    }
    assert!(
        bool_fields_seen > 20,
        "only {bool_fields_seen} boolean fields registered"
    );
}

#[test]
fn defaulted_fields_take_the_java_default_and_are_always_written() {
    for case in all_cases() {
        let encoded = (case.decode)(&required_map(case.fields)).expect("valid map");
        let defaults = (case.default_encoded)();
        for (index, spec) in case.fields.iter().enumerate() {
            let written = case.written_name(index);
            match spec.presence {
                Presence::Required => assert!(encoded.contains_key(written)),
                Presence::Optional => assert!(!encoded.contains_key(written), "{written}"),
                Presence::Defaulted => {
                    assert!(encoded.contains_key(written), "{}.{written}", case.name);
                    assert_eq!(encoded.get(written), defaults.get(written), "{}", case.name);
                }
            }
        }
    }
}

#[test]
fn java_defaults_are_those_of_the_java_classes() {
    assert!(GetMaxOffsetRequestHeader::default().committed);
    assert_eq!(ResetOffsetRequestHeader::default().queue_id, -1);
    assert_eq!(RegisterBrokerRequestHeader::default().body_crc32, 0);
    assert!(!RegisterBrokerRequestHeader::default().compressed);
    assert!(!EndTransactionRequestHeader::default().from_transaction_check);
    assert!(!CreateTopicRequestHeader::default().force);
}
