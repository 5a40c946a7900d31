//! Java enums in bodies: written by name, read by name or by ordinal.
//!
//! fastjson writes an enum as its name (`"CLUSTERING"`) and reads either the
//! name or the ordinal. Old C++ clients send ordinals (REMOTING.md §11 trap
//! 30), Go upper-cases names it keeps in mixed case, and Go sends `"UNKNOWN"`
//! when a setting is unset. So reading is lenient: names in any case (plus a
//! few aliases), ordinals as numbers or numeric strings; and for members that
//! Java allows to be null, an unknown value reads as `None` (what fastjson
//! leaves in the field) instead of failing the whole body.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// A Rust mirror of a Java enum. Implemented by [`java_enum!`].
pub trait JavaEnum: Sized + Copy + 'static {
    /// The Java class name, for error messages.
    const JAVA_TYPE: &'static str;
    /// Every constant, in Java declaration (ordinal) order.
    const ALL: &'static [Self];

    /// The Java constant name, as fastjson writes it.
    fn java_name(self) -> &'static str;
    /// Other spellings accepted on input.
    fn aliases(self) -> &'static [&'static str];

    /// Position of the constant in the Java declaration.
    fn ordinal(self) -> usize {
        let position = Self::ALL
            .iter()
            .position(|other| other.java_name() == self.java_name());
        assert!(
            position.is_some(),
            "{} is missing from ALL",
            self.java_name()
        );
        position.unwrap_or(0)
    }

    /// The constant named `name` (any case; aliases too; a numeric string is
    /// an ordinal).
    fn from_java_name(name: &str) -> Option<Self> {
        let name = name.trim();
        let by_name = Self::ALL.iter().copied().find(|constant| {
            constant.java_name().eq_ignore_ascii_case(name)
                || constant
                    .aliases()
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(name))
        });
        by_name.or_else(|| name.parse::<u64>().ok().and_then(Self::from_ordinal))
    }

    /// The constant with Java ordinal `ordinal`.
    fn from_ordinal(ordinal: u64) -> Option<Self> {
        usize::try_from(ordinal)
            .ok()
            .and_then(|index| Self::ALL.get(index).copied())
    }
}

/// Declares a Java enum mirror: the enum, [`JavaEnum`], serialisation by name
/// and lenient deserialisation. Variants are listed in Java ordinal order.
macro_rules! java_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $java_type:literal {
            $( $(#[$variant_meta:meta])* $variant:ident = $java:literal $([$($alias:literal),*])?, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $crate::body::java_enum::JavaEnum for $name {
            const JAVA_TYPE: &'static str = $java_type;
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn java_name(self) -> &'static str {
                match self {
                    $($name::$variant => $java,)+
                }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self {
                    $($name::$variant => &[$($($alias),*)?],)+
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::body::java_enum::JavaEnum::java_name(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::body::java_enum::required(deserializer)
            }
        }
    };
}
pub(crate) use java_enum;

/// Reads a Java enum that must be known.
///
/// # Errors
///
/// A name or ordinal that is not one of `T`'s constants, or another type.
pub fn required<'de, D: Deserializer<'de>, T: JavaEnum>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(EnumVisitor(PhantomData))
}

/// Reads a Java enum member that Java allows to be null: an unknown name or
/// ordinal gives `None`, as fastjson leaves the field null. Use with
/// `#[serde(default, deserialize_with = "java_enum::or_none")]`.
///
/// # Errors
///
/// A value that is neither a string nor an integer.
pub fn or_none<'de, D: Deserializer<'de>, T: JavaEnum>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_any(OptionalEnumVisitor(PhantomData))
}

struct EnumVisitor<T>(PhantomData<T>);

impl<T: JavaEnum> Visitor<'_> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "a {} name or ordinal", T::JAVA_TYPE)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        T::from_java_name(value).ok_or_else(|| E::invalid_value(Unexpected::Str(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        T::from_ordinal(value).ok_or_else(|| E::invalid_value(Unexpected::Unsigned(value), &self))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        u64::try_from(value)
            .ok()
            .and_then(T::from_ordinal)
            .ok_or_else(|| E::invalid_value(Unexpected::Signed(value), &self))
    }
}

struct OptionalEnumVisitor<T>(PhantomData<T>);

impl<T: JavaEnum> Visitor<'_> for OptionalEnumVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "a {} name or ordinal", T::JAVA_TYPE)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Option<T>, E> {
        Ok(T::from_java_name(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Option<T>, E> {
        Ok(T::from_ordinal(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Option<T>, E> {
        Ok(u64::try_from(value).ok().and_then(T::from_ordinal))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
}
