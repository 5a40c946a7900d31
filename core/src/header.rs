//! Typed request and response headers (REMOTING.md §3, §4), to and from
//! extFields.
//!
//! Every header is a plain struct whose fields are the snake_case forms of the
//! Java field names (`queueOffset` → `queue_offset`); the wire names are kept
//! verbatim in [`CommandHeader::FIELDS`]. Required fields (`@CFNotNull` in
//! Java) are plain types, optional ones are `Option<_>`, and fields with a
//! Java default (primitives, initialised `Boolean`s) are plain types that take
//! the Java default when absent. The reading and writing rules (empty text,
//! Java booleans, strict numbers) are those of [`crate::ext_fields`].
//!
//! Inherited Java fields (`ns`, `nsd`, `bname`, `oway`, `lo` from
//! `RpcRequestHeader`/`TopicRequestHeader`) are ignored on input and never
//! written, except `bname` where a peer acts on it: the send header (§3.1,
//! its broker name) and CHECK_TRANSACTION_STATE / END_TRANSACTION (§3.13,
//! the Java client copies it from one into the other).
//!
//! Headers are decoded once per request on the connection's shard; they own
//! their strings (the frame's [`ExtFields`] already owns its text, so
//! borrowing would not save an allocation per request).
//!
//! Where Java has a header class without fields of its own (HEART_BEAT,
//! LOCK_BATCH_MQ, UNLOCK_BATCH_MQ, several responses) there is an empty
//! struct, so that a processor can be written the same way for every code.
//! Commands Java sends with no header at all (GET_BROKER_RUNTIME_INFO,
//! GET_BROKER_CONFIG, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
//! GET_BROKER_CLUSTER_INFO, GET_ALL_TOPIC_LIST_FROM_NAMESERVER, ...) have no
//! type here.
//!
//! Every header type is listed once in [`for_each_header!`](crate::for_each_header),
//! which the round-trip tests and the `ext_headers` fuzz target use.

use crate::error::DecodeError;
use crate::ext_fields::{ExtFields, ValueKind};

/// Whether a field must be present, and what an absent field means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// `@CFNotNull`: absent ⇒ [`DecodeError::MissingField`].
    Required,
    /// Absent, `""` or unparsable ⇒ `None`.
    Optional,
    /// Like [`Presence::Optional`] but read as the Java default value, and
    /// always written.
    Defaulted,
}

/// One extFields entry of a header: its Java name and how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The key on the wire (the Java field name).
    pub name: &'static str,
    /// Required, optional or defaulted.
    pub presence: Presence,
    /// The kind of text the value is.
    pub kind: ValueKind,
}

/// A custom header that travels in a command's extFields.
pub trait CommandHeader: Sized {
    /// The type's name, for logs (the Java class name where there is one).
    const NAME: &'static str;
    /// Every field this type reads and writes, in declaration order.
    const FIELDS: &'static [FieldSpec];

    /// Decodes the header from the extFields of a received command.
    ///
    /// # Errors
    /// [`DecodeError::MissingField`] when a required field is absent and
    /// [`DecodeError::InvalidField`] when a required number or enum does not
    /// parse; optional fields never fail.
    fn from_ext_fields(fields: &ExtFields) -> Result<Self, DecodeError>;

    /// Adds this header's fields to `fields` (other entries are kept, so ACL
    /// or zone fields can be added before or after).
    fn to_ext_fields(&self, fields: &mut ExtFields);

    /// The header as a fresh extFields map.
    fn encode(&self) -> ExtFields {
        let mut fields = ExtFields::new();
        self.to_ext_fields(&mut fields);
        fields
    }
}

/// Declares a header struct and its [`CommandHeader`] impl from one field
/// list. Each field line is
/// `KIND rust_name: Type = "javaName"` where KIND is `req` (required, plain
/// type), `opt` (optional, the struct field is `Option<Type>`) or `def`
/// (defaulted: plain type, `(default EXPR)` follows the Java name).
macro_rules! ext_header {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $kind:ident $field:ident : $ty:ty = $key:literal $((default $default:expr))?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: ext_header!(@ty $kind $ty),
            )*
        }

        impl Default for $name {
            /// Required fields zero/empty, optionals absent, defaulted fields
            /// at their Java default.
            fn default() -> Self {
                Self { $( $field: ext_header!(@default $kind $ty $(, $default)?), )* }
            }
        }

        impl $crate::header::CommandHeader for $name {
            const NAME: &'static str = stringify!($name);
            const FIELDS: &'static [$crate::header::FieldSpec] = &[
                $(
                    $crate::header::FieldSpec {
                        name: $key,
                        presence: ext_header!(@presence $kind),
                        kind: <$ty as $crate::ext_fields::ExtValue>::KIND,
                    },
                )*
            ];

            #[allow(unused_variables)]
            fn from_ext_fields(
                fields: &$crate::ext_fields::ExtFields,
            ) -> Result<Self, $crate::error::DecodeError> {
                Ok(Self { $( $field: ext_header!(@get $kind fields, $key, $ty $(, $default)?), )* })
            }

            #[allow(unused_variables)]
            fn to_ext_fields(&self, fields: &mut $crate::ext_fields::ExtFields) {
                $( ext_header!(@put $kind fields, $key, &self.$field); )*
            }
        }
    };

    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@ty def $ty:ty) => { $ty };

    (@default req $ty:ty) => { <$ty as Default>::default() };
    (@default opt $ty:ty) => { None };
    (@default def $ty:ty, $default:expr) => { $default };

    (@presence req) => { $crate::header::Presence::Required };
    (@presence opt) => { $crate::header::Presence::Optional };
    (@presence def) => { $crate::header::Presence::Defaulted };

    (@get req $fields:ident, $key:literal, $ty:ty) => {
        $crate::ext_fields::required::<$ty>($fields, $key)?
    };
    (@get opt $fields:ident, $key:literal, $ty:ty) => {
        $crate::ext_fields::optional::<$ty>($fields, $key)
    };
    (@get def $fields:ident, $key:literal, $ty:ty, $default:expr) => {
        $crate::ext_fields::or_default::<$ty>($fields, $key, $default)
    };

    (@put req $fields:ident, $key:literal, $value:expr) => {
        $crate::ext_fields::put($fields, $key, $value)
    };
    (@put opt $fields:ident, $key:literal, $value:expr) => {
        $crate::ext_fields::put_opt($fields, $key, $value)
    };
    (@put def $fields:ident, $key:literal, $value:expr) => {
        $crate::ext_fields::put($fields, $key, $value)
    };
}

/// Implements [`ExtValue`](crate::ext_fields::ExtValue) for a field-less
/// enum written by its Java name. `parse` is the function that maps text to a
/// variant (`None` ⇒ [`DecodeError::InvalidField`]).
macro_rules! ext_enum {
    ($name:ident, $expected:literal, $parse:path, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// The Java enum name.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }
        }

        impl $crate::ext_fields::ExtValue for $name {
            const KIND: $crate::ext_fields::ValueKind =
                $crate::ext_fields::ValueKind::Enum(&[$($text),+]);
            fn parse_ext(
                field: &'static str,
                text: &str,
            ) -> Result<Self, $crate::error::DecodeError> {
                $parse(text).ok_or_else(|| $crate::ext_fields::invalid(field, text, $expected))
            }
            fn to_ext(&self) -> String {
                self.as_str().to_owned()
            }
        }
    };
}

pub mod admin;
pub mod callback;
pub mod client;
pub mod namesrv;
pub mod offset;
pub mod pull;
pub mod query;
pub mod send;
pub mod stats;
pub mod transaction;

pub use admin::*;
pub use callback::*;
pub use client::*;
pub use namesrv::*;
pub use offset::*;
pub use pull::*;
pub use query::*;
pub use send::*;
pub use stats::*;
pub use transaction::*;

/// Calls `$callback! { Type, Type, ... }` with the name of every header type
/// in [`crate::header`] (each implements [`CommandHeader`]). This is the one
/// registry of headers: the round-trip tests and the `ext_headers` fuzz
/// target iterate it, so a header added here is tested and fuzzed.
///
/// The names are bare; the callback brings them into scope with
/// `use thrust_core::header::*;`.
#[macro_export]
macro_rules! for_each_header {
    ($callback:ident) => {
        $callback! {
            // send.rs
            SendMessageRequestHeader,
            SendMessageResponseHeader,
            ReplyMessageRequestHeader,
            // pull.rs
            PullMessageRequestHeader,
            PullMessageResponseHeader,
            // offset.rs
            QueryConsumerOffsetRequestHeader,
            QueryConsumerOffsetResponseHeader,
            UpdateConsumerOffsetRequestHeader,
            UpdateConsumerOffsetResponseHeader,
            GetMaxOffsetRequestHeader,
            GetMaxOffsetResponseHeader,
            GetMinOffsetRequestHeader,
            GetMinOffsetResponseHeader,
            SearchOffsetRequestHeader,
            SearchOffsetResponseHeader,
            GetEarliestMsgStoretimeRequestHeader,
            GetEarliestMsgStoretimeResponseHeader,
            // client.rs
            HeartbeatRequestHeader,
            HeartbeatResponseHeader,
            UnregisterClientRequestHeader,
            UnregisterClientResponseHeader,
            GetConsumerListByGroupRequestHeader,
            GetConsumerListByGroupResponseHeader,
            LockBatchMqRequestHeader,
            UnlockBatchMqRequestHeader,
            ConsumerSendMsgBackRequestHeader,
            // query.rs
            QueryMessageRequestHeader,
            QueryMessageResponseHeader,
            ViewMessageRequestHeader,
            ViewMessageResponseHeader,
            // transaction.rs
            EndTransactionRequestHeader,
            EndTransactionResponseHeader,
            CheckTransactionStateRequestHeader,
            // callback.rs
            NotifyConsumerIdsChangedRequestHeader,
            ResetOffsetRequestHeader,
            GetConsumerStatusRequestHeader,
            GetConsumerRunningInfoRequestHeader,
            ConsumeMessageDirectlyResultRequestHeader,
            // admin.rs
            CreateTopicRequestHeader,
            DeleteTopicRequestHeader,
            DeleteSubscriptionGroupRequestHeader,
            CloneGroupOffsetRequestHeader,
            UpdateGroupForbiddenRequestHeader,
            // stats.rs
            GetAllTopicConfigRequestHeader,
            GetAllTopicConfigResponseHeader,
            GetAllSubscriptionGroupRequestHeader,
            GetAllSubscriptionGroupResponseHeader,
            GetBrokerConfigResponseHeader,
            GetTopicStatsInfoRequestHeader,
            GetConsumerConnectionListRequestHeader,
            GetProducerConnectionListRequestHeader,
            GetConsumeStatsRequestHeader,
            QueryTopicConsumeByWhoRequestHeader,
            QueryConsumeTimeSpanRequestHeader,
            QueryCorrectionOffsetHeader,
            QueryTopicsByConsumerRequestHeader,
            QuerySubscriptionByConsumerRequestHeader,
            GetTopicConfigRequestHeader,
            GetSubscriptionGroupConfigRequestHeader,
            // namesrv.rs
            GetRouteInfoRequestHeader,
            RegisterBrokerRequestHeader,
            RegisterBrokerResponseHeader,
            UnRegisterBrokerRequestHeader,
            QueryDataVersionRequestHeader,
            QueryDataVersionResponseHeader,
            BrokerHeartbeatRequestHeader,
            DeleteTopicFromNamesrvRequestHeader,
            RegisterTopicRequestHeader,
            GetTopicsByClusterRequestHeader,
            PutKVConfigRequestHeader,
            GetKVConfigRequestHeader,
            GetKVConfigResponseHeader,
            DeleteKVConfigRequestHeader,
            GetKVListByNamespaceRequestHeader,
            WipeWritePermOfBrokerRequestHeader,
            WipeWritePermOfBrokerResponseHeader,
            AddWritePermOfBrokerRequestHeader,
            AddWritePermOfBrokerResponseHeader,
        }
    };
}
