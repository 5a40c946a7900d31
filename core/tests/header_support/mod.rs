//! Helpers shared by the `header_*` integration tests: building extFields
//! maps from a header's [`FieldSpec`] table.

#![allow(dead_code)]

use proptest::prelude::*;
use thrust_core::ext_fields::{ExtFields, ValueKind};
use thrust_core::header::{FieldSpec, Presence};

/// Inherited or hook fields that no header reads; maps carry some of them to
/// prove they are ignored.
pub const FOREIGN_KEYS: &[&str] = &["ns", "nsd", "oway", "lo", "AccessKey", "Signature"];

/// A fixed valid text for a field of `kind`.
pub fn valid_text(kind: ValueKind) -> String {
    match kind {
        ValueKind::Text => "some-text".to_owned(),
        ValueKind::Int32 => "-7".to_owned(),
        ValueKind::Int64 => "1732512000000".to_owned(),
        ValueKind::Bool => "true".to_owned(),
        ValueKind::Enum(names) => names.last().expect("an enum has names").to_string(),
    }
}

/// Every field of `specs` with a valid value.
pub fn full_map(specs: &[FieldSpec]) -> ExtFields {
    specs
        .iter()
        .map(|s| (s.name.to_owned(), valid_text(s.kind)))
        .collect()
}

/// Only the required fields of `specs`, with valid values.
pub fn required_map(specs: &[FieldSpec]) -> ExtFields {
    specs
        .iter()
        .filter(|s| s.presence == Presence::Required)
        .map(|s| (s.name.to_owned(), valid_text(s.kind)))
        .collect()
}

/// Texts a peer may send for a field of `kind`, valid or not (for optional
/// fields invalid text must read as absent).
pub fn text_strategy(kind: ValueKind, required: bool) -> BoxedStrategy<String> {
    match kind {
        ValueKind::Text if required => any::<String>().boxed(),
        ValueKind::Text => prop_oneof![any::<String>(), Just(String::new())].boxed(),
        ValueKind::Int32 if required => any::<i32>().prop_map(|v| v.to_string()).boxed(),
        ValueKind::Int32 => prop_oneof![
            any::<i32>().prop_map(|v| v.to_string()),
            Just(String::new()),
            Just("4294967296".to_owned()),
            "[a-z ]{1,4}",
        ]
        .boxed(),
        ValueKind::Int64 if required => any::<i64>().prop_map(|v| v.to_string()).boxed(),
        ValueKind::Int64 => prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            Just(String::new()),
            Just("9223372036854775808".to_owned()),
        ]
        .boxed(),
        ValueKind::Bool => prop_oneof![
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("True".to_owned()),
            Just("FALSE".to_owned()),
            Just("yes".to_owned()),
            Just(String::new()),
        ]
        .boxed(),
        ValueKind::Enum(names) => {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            if required {
                proptest::sample::select(names).boxed()
            } else {
                prop_oneof![
                    proptest::sample::select(names),
                    Just(String::new()),
                    "[a-z]{1,6}"
                ]
                .boxed()
            }
        }
    }
}

/// extFields maps that a header with fields `specs` must decode: every
/// required field holds a valid value, every other field is absent or holds
/// any text, and a few foreign keys may be present.
pub fn fields_strategy(specs: &'static [FieldSpec]) -> impl Strategy<Value = ExtFields> {
    let entries: Vec<BoxedStrategy<Option<(String, String)>>> = specs
        .iter()
        .map(|spec| {
            let name = spec.name.to_owned();
            let required = spec.presence == Presence::Required;
            let text = text_strategy(spec.kind, required);
            if required {
                text.prop_map(move |t| Some((name.clone(), t))).boxed()
            } else {
                proptest::option::of(text)
                    .prop_map(move |t| t.map(|t| (name.clone(), t)))
                    .boxed()
            }
        })
        .collect();
    let foreign = proptest::collection::vec(
        (proptest::sample::select(FOREIGN_KEYS), any::<String>()),
        0..3,
    );
    (entries, foreign).prop_map(|(entries, foreign)| {
        let mut map: ExtFields = entries.into_iter().flatten().collect();
        for (key, value) in foreign {
            map.insert(key.to_owned(), value);
        }
        map
    })
}
