//! Scalars read as loosely as fastjson reads them (REMOTING.md §11 trap 30).
//!
//! The Java broker parses bodies with fastjson, which turns `"123"` into an
//! `int` and `"true"` into a `boolean`. Old C++ clients rely on it: they send
//! `subVersion` as a string. Go sends numbers where Java sends numbers, but
//! `codeSet` entries as strings. So every integer, boolean and float member of
//! a body is read through one of these functions
//! (`#[serde(deserialize_with = "lenient::int")]`), and written as a plain
//! JSON number or boolean.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};

/// An integer given as a JSON number or as a string holding one.
///
/// # Errors
///
/// Anything else, or a value outside `T`'s range.
pub fn int<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    deserializer.deserialize_any(IntVisitor(PhantomData))
}

/// A sequence of integers, each a number or a string (Go's `codeSet`).
///
/// # Errors
///
/// Anything but a sequence, or an element [`int`] refuses.
pub fn int_seq<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    deserializer.deserialize_seq(IntSeqVisitor(PhantomData))
}

/// A boolean given as `true`/`false`, a string saying so (any case), or 0/1.
///
/// # Errors
///
/// Anything else.
pub fn boolean<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    deserializer.deserialize_any(BoolVisitor)
}

/// A floating-point number given as a JSON number or a string holding one.
///
/// # Errors
///
/// Anything else.
pub fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(FloatVisitor)
}

struct IntVisitor<T>(PhantomData<T>);

impl<T> Visitor<'_> for IntVisitor<T>
where
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an integer in range (a number or a string)")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::invalid_value(Unexpected::Signed(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::invalid_value(Unexpected::Unsigned(value), &self))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        value
            .trim()
            .parse::<T>()
            .map_err(|_| E::invalid_value(Unexpected::Str(value), &self))
    }
}

struct IntSeqVisitor<T>(PhantomData<T>);

impl<'de, T> Visitor<'de> for IntSeqVisitor<T>
where
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    type Value = Vec<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a sequence of integers (numbers or strings)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut values = Vec::new();
        while let Some(LenientInt(value)) = seq.next_element::<LenientInt<T>>()? {
            values.push(value);
        }
        Ok(values)
    }
}

/// One element of [`int_seq`].
struct LenientInt<T>(T);

impl<'de, T> de::Deserialize<'de> for LenientInt<T>
where
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        int(deserializer).map(LenientInt)
    }
}

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a boolean (true/false, \"true\"/\"false\" or 0/1)")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<bool, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<bool, E> {
        match value {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(Unexpected::Signed(value), &self)),
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<bool, E> {
        match value {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(Unexpected::Unsigned(value), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<bool, E> {
        let trimmed = value.trim();
        if trimmed.eq_ignore_ascii_case("true") || trimmed == "1" {
            Ok(true)
        } else if trimmed.eq_ignore_ascii_case("false") || trimmed == "0" {
            Ok(false)
        } else {
            Err(E::invalid_value(Unexpected::Str(value), &self))
        }
    }
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a number (or a string holding one)")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
        Ok(value)
    }

    // Java doubles carry 53-bit mantissas: a larger integer is rounded, as
    // fastjson would round it.
    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
        Ok(value as f64)
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
        Ok(value as f64)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<f64, E> {
        match value.trim().parse::<f64>() {
            Ok(parsed) if parsed.is_finite() => Ok(parsed),
            _ => Err(E::invalid_value(Unexpected::Str(value), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "int")]
        small: i32,
        #[serde(default, deserialize_with = "int")]
        big: i64,
        #[serde(default, deserialize_with = "boolean")]
        flag: bool,
        #[serde(default, deserialize_with = "float")]
        rate: f64,
        #[serde(default, deserialize_with = "int_seq")]
        codes: Vec<i32>,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integers_are_read_from_numbers_and_strings() {
        let parsed = probe(r#"{"small":"-7","big":"1732512000000","codes":[1,"-2"," 3 "]}"#);
        let parsed = parsed.unwrap();
        assert_eq!(parsed.small, -7);
        assert_eq!(parsed.big, 1_732_512_000_000);
        assert_eq!(parsed.codes, vec![1, -2, 3]);
    }

    #[test]
    fn integers_out_of_range_or_not_integers_are_refused() {
        assert!(probe(r#"{"small":2147483648}"#).is_err());
        assert!(probe(r#"{"small":"x"}"#).is_err());
        assert!(probe(r#"{"small":1.5}"#).is_err());
        assert!(probe(r#"{"big":18446744073709551615}"#).is_err());
        assert!(probe(r#"{"codes":[true]}"#).is_err());
        assert!(probe(r#"{"codes":{}}"#).is_err());
    }

    #[test]
    fn booleans_are_read_like_fastjson() {
        assert!(probe(r#"{"flag":"True"}"#).unwrap().flag);
        assert!(probe(r#"{"flag":1}"#).unwrap().flag);
        assert!(!probe(r#"{"flag":"false"}"#).unwrap().flag);
        assert!(probe(r#"{"flag":2}"#).is_err());
        assert!(probe(r#"{"flag":"yes"}"#).is_err());
    }

    #[test]
    fn floats_are_read_from_numbers_and_strings() {
        assert_eq!(probe(r#"{"rate":3}"#).unwrap().rate, 3.0);
        assert_eq!(probe(r#"{"rate":"2.5"}"#).unwrap().rate, 2.5);
        assert!(probe(r#"{"rate":"NaN"}"#).is_err());
    }
}
