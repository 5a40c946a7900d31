//! Request, response and language codes (REMOTING.md §1.5, §1.6, §2).
//!
//! [`RequestCode`] and [`ResponseCode`] are newtypes over the `i32` that travels in
//! the `code` header field. Every code that Apache RocketMQ defines (at the commit
//! REMOTING.md was written from) has a named constant, so logs can name what a peer
//! sent; any other number is still a valid value and survives decoding and
//! re-encoding unchanged (a broker answers it with
//! [`ResponseCode::REQUEST_CODE_NOT_SUPPORTED`]). The same number means different
//! things as a request and as a response code, so the two types never convert into
//! each other.
//!
//! [`LanguageCode`] is the sender's client language. Unknown values are kept, never
//! rejected: trap 13 of REMOTING.md asks us to accept languages we do not know.

use std::fmt;

/// `MQVersion.Version` ordinals (REMOTING.md §1.6) worth naming. A command's
/// `version` field carries the ordinal of the sender's release.
pub mod version {
    /// V3_0_11: threshold used by the Java broker when registering (§4.2).
    pub const V3_0_11: i32 = 37;
    /// V3_4_9: threshold used by the Java broker for sends (§3.1).
    pub const V3_4_9: i32 = 121;
    /// V4_1_0_SNAPSHOT: Java clients refuse SQL92 pulls from brokers older than this.
    pub const V4_1_0_SNAPSHOT: i32 = 232;
    /// V4_5_2: what the Go client v2 sends.
    pub const V4_5_2: i32 = 317;
    /// V4_9_4: the name server returns standard JSON routes to clients at or above it.
    pub const V4_9_4: i32 = 401;
    /// V5_3_1_SNAPSHOT: what the Rust client sends.
    pub const V5_3_1_SNAPSHOT: i32 = 474;
    /// V5_3_1: Java servers answer GO_AWAY to newer requesters while shutting down.
    pub const V5_3_1: i32 = 475;
    /// V5_3_3: Java client, broker and name server at the commit REMOTING.md was read at.
    pub const V5_3_3: i32 = 479;
}

/// The `version` Thrust puts in every command it sends. Must stay at or above
/// [`version::V4_9_4`] (standard JSON routes) and [`version::V4_1_0_SNAPSHOT`]
/// (Java clients check it before SQL92 pulls); REMOTING.md §1.8 suggests 479.
pub const THRUST_REMOTING_VERSION: i32 = version::V5_3_3;

const _: () = assert!(THRUST_REMOTING_VERSION >= version::V4_9_4);
// The binary header carries the version as an i16.
const _: () = assert!(THRUST_REMOTING_VERSION <= i16::MAX as i32);

/// Defines the named constants of a code newtype together with the lookups by
/// value and by name, so the three can never disagree.
macro_rules! named_codes {
    ($type:ident { $($name:ident = $value:literal,)* }) => {
        impl $type {
            $(pub const $name: $type = $type($value);)*

            /// Every named code, in definition order.
            pub const KNOWN: &'static [$type] = &[$($type::$name,)*];

            /// The Java constant name of this code, or `None` for a number that
            /// Apache RocketMQ does not define.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// The code whose Java constant name is `name` (exact, case-sensitive).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($name) => Some($type::$name),)*
                    _ => None,
                }
            }
        }
    };
}

/// A request code (`RequestCode.java`): what a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestCode(pub i32);

named_codes!(RequestCode {
        SEND_MESSAGE = 10,
        PULL_MESSAGE = 11,
        QUERY_MESSAGE = 12,
        QUERY_BROKER_OFFSET = 13,
        QUERY_CONSUMER_OFFSET = 14,
        UPDATE_CONSUMER_OFFSET = 15,
        UPDATE_AND_CREATE_TOPIC = 17,
        UPDATE_AND_CREATE_TOPIC_LIST = 18,
        GET_ALL_TOPIC_CONFIG = 21,
        GET_TOPIC_CONFIG_LIST = 22,
        GET_TOPIC_NAME_LIST = 23,
        UPDATE_BROKER_CONFIG = 25,
        GET_BROKER_CONFIG = 26,
        TRIGGER_DELETE_FILES = 27,
        GET_BROKER_RUNTIME_INFO = 28,
        SEARCH_OFFSET_BY_TIMESTAMP = 29,
        GET_MAX_OFFSET = 30,
        GET_MIN_OFFSET = 31,
        GET_EARLIEST_MSG_STORETIME = 32,
        VIEW_MESSAGE_BY_ID = 33,
        HEART_BEAT = 34,
        UNREGISTER_CLIENT = 35,
        CONSUMER_SEND_MSG_BACK = 36,
        END_TRANSACTION = 37,
        GET_CONSUMER_LIST_BY_GROUP = 38,
        CHECK_TRANSACTION_STATE = 39,
        NOTIFY_CONSUMER_IDS_CHANGED = 40,
        LOCK_BATCH_MQ = 41,
        UNLOCK_BATCH_MQ = 42,
        GET_ALL_CONSUMER_OFFSET = 43,
        GET_ALL_DELAY_OFFSET = 45,
        CHECK_CLIENT_CONFIG = 46,
        GET_CLIENT_CONFIG = 47,
        GET_TIMER_CHECK_POINT = 60,
        GET_TIMER_METRICS = 61,
        POP_MESSAGE = 200050,
        ACK_MESSAGE = 200051,
        BATCH_ACK_MESSAGE = 200151,
        PEEK_MESSAGE = 200052,
        CHANGE_MESSAGE_INVISIBLETIME = 200053,
        NOTIFICATION = 200054,
        POLLING_INFO = 200055,
        POP_ROLLBACK = 200056,
        PUT_KV_CONFIG = 100,
        GET_KV_CONFIG = 101,
        DELETE_KV_CONFIG = 102,
        REGISTER_BROKER = 103,
        UNREGISTER_BROKER = 104,
        GET_ROUTEINFO_BY_TOPIC = 105,
        GET_BROKER_CLUSTER_INFO = 106,
        UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200,
        GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201,
        GET_TOPIC_STATS_INFO = 202,
        GET_CONSUMER_CONNECTION_LIST = 203,
        GET_PRODUCER_CONNECTION_LIST = 204,
        WIPE_WRITE_PERM_OF_BROKER = 205,
        GET_ALL_TOPIC_LIST_FROM_NAMESERVER = 206,
        DELETE_SUBSCRIPTIONGROUP = 207,
        GET_CONSUME_STATS = 208,
        SUSPEND_CONSUMER = 209,
        RESUME_CONSUMER = 210,
        RESET_CONSUMER_OFFSET_IN_CONSUMER = 211,
        RESET_CONSUMER_OFFSET_IN_BROKER = 212,
        ADJUST_CONSUMER_THREAD_POOL = 213,
        WHO_CONSUME_THE_MESSAGE = 214,
        DELETE_TOPIC_IN_BROKER = 215,
        DELETE_TOPIC_IN_NAMESRV = 216,
        REGISTER_TOPIC_IN_NAMESRV = 217,
        GET_KVLIST_BY_NAMESPACE = 219,
        RESET_CONSUMER_CLIENT_OFFSET = 220,
        GET_CONSUMER_STATUS_FROM_CLIENT = 221,
        INVOKE_BROKER_TO_RESET_OFFSET = 222,
        INVOKE_BROKER_TO_GET_CONSUMER_STATUS = 223,
        QUERY_TOPIC_CONSUME_BY_WHO = 300,
        GET_TOPICS_BY_CLUSTER = 224,
        UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST = 225,
        QUERY_TOPICS_BY_CONSUMER = 343,
        QUERY_SUBSCRIPTION_BY_CONSUMER = 345,
        REGISTER_FILTER_SERVER = 301,
        REGISTER_MESSAGE_FILTER_CLASS = 302,
        QUERY_CONSUME_TIME_SPAN = 303,
        GET_SYSTEM_TOPIC_LIST_FROM_NS = 304,
        GET_SYSTEM_TOPIC_LIST_FROM_BROKER = 305,
        CLEAN_EXPIRED_CONSUMEQUEUE = 306,
        GET_CONSUMER_RUNNING_INFO = 307,
        QUERY_CORRECTION_OFFSET = 308,
        CONSUME_MESSAGE_DIRECTLY = 309,
        SEND_MESSAGE_V2 = 310,
        GET_UNIT_TOPIC_LIST = 311,
        GET_HAS_UNIT_SUB_TOPIC_LIST = 312,
        GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST = 313,
        CLONE_GROUP_OFFSET = 314,
        VIEW_BROKER_STATS_DATA = 315,
        CLEAN_UNUSED_TOPIC = 316,
        GET_BROKER_CONSUME_STATS = 317,
        UPDATE_NAMESRV_CONFIG = 318,
        GET_NAMESRV_CONFIG = 319,
        SEND_BATCH_MESSAGE = 320,
        QUERY_CONSUME_QUEUE = 321,
        QUERY_DATA_VERSION = 322,
        RESUME_CHECK_HALF_MESSAGE = 323,
        SEND_REPLY_MESSAGE = 324,
        SEND_REPLY_MESSAGE_V2 = 325,
        PUSH_REPLY_MESSAGE_TO_CLIENT = 326,
        ADD_WRITE_PERM_OF_BROKER = 327,
        GET_ALL_PRODUCER_INFO = 328,
        DELETE_EXPIRED_COMMITLOG = 329,
        GET_TOPIC_CONFIG = 351,
        GET_SUBSCRIPTIONGROUP_CONFIG = 352,
        UPDATE_AND_GET_GROUP_FORBIDDEN = 353,
        CHECK_ROCKSDB_CQ_WRITE_PROGRESS = 354,
        EXPORT_ROCKSDB_CONFIG_TO_JSON = 355,
        LITE_PULL_MESSAGE = 361,
        RECALL_MESSAGE = 370,
        QUERY_ASSIGNMENT = 400,
        SET_MESSAGE_REQUEST_MODE = 401,
        GET_ALL_MESSAGE_REQUEST_MODE = 402,
        UPDATE_AND_CREATE_STATIC_TOPIC = 513,
        GET_BROKER_MEMBER_GROUP = 901,
        ADD_BROKER = 902,
        REMOVE_BROKER = 903,
        BROKER_HEARTBEAT = 904,
        NOTIFY_MIN_BROKER_ID_CHANGE = 905,
        EXCHANGE_BROKER_HA_INFO = 906,
        GET_BROKER_HA_STATUS = 907,
        RESET_MASTER_FLUSH_OFFSET = 908,
        CONTROLLER_ALTER_SYNC_STATE_SET = 1001,
        CONTROLLER_ELECT_MASTER = 1002,
        CONTROLLER_REGISTER_BROKER = 1003,
        CONTROLLER_GET_REPLICA_INFO = 1004,
        CONTROLLER_GET_METADATA_INFO = 1005,
        CONTROLLER_GET_SYNC_STATE_DATA = 1006,
        GET_BROKER_EPOCH_CACHE = 1007,
        NOTIFY_BROKER_ROLE_CHANGED = 1008,
        UPDATE_CONTROLLER_CONFIG = 1009,
        GET_CONTROLLER_CONFIG = 1010,
        CLEAN_BROKER_DATA = 1011,
        CONTROLLER_GET_NEXT_BROKER_ID = 1012,
        CONTROLLER_APPLY_BROKER_ID = 1013,
        UPDATE_COLD_DATA_FLOW_CTR_CONFIG = 2001,
        REMOVE_COLD_DATA_FLOW_CTR_CONFIG = 2002,
        GET_COLD_DATA_FLOW_CTR_INFO = 2003,
        SET_COMMITLOG_READ_MODE = 2004,
        AUTH_CREATE_USER = 3001,
        AUTH_UPDATE_USER = 3002,
        AUTH_DELETE_USER = 3003,
        AUTH_GET_USER = 3004,
        AUTH_LIST_USER = 3005,
        AUTH_CREATE_ACL = 3006,
        AUTH_UPDATE_ACL = 3007,
        AUTH_DELETE_ACL = 3008,
        AUTH_GET_ACL = 3009,
        AUTH_LIST_ACL = 3010,
});

/// A response code (`ResponseCode.java` and `RemotingSysResponseCode.java`): the
/// outcome a response reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResponseCode(pub i32);

named_codes!(ResponseCode {
        SUCCESS = 0,
        SYSTEM_ERROR = 1,
        SYSTEM_BUSY = 2,
        REQUEST_CODE_NOT_SUPPORTED = 3,
        TRANSACTION_FAILED = 4,
        FLUSH_DISK_TIMEOUT = 10,
        SLAVE_NOT_AVAILABLE = 11,
        FLUSH_SLAVE_TIMEOUT = 12,
        MESSAGE_ILLEGAL = 13,
        SERVICE_NOT_AVAILABLE = 14,
        VERSION_NOT_SUPPORTED = 15,
        NO_PERMISSION = 16,
        TOPIC_NOT_EXIST = 17,
        TOPIC_EXIST_ALREADY = 18,
        PULL_NOT_FOUND = 19,
        PULL_RETRY_IMMEDIATELY = 20,
        PULL_OFFSET_MOVED = 21,
        QUERY_NOT_FOUND = 22,
        SUBSCRIPTION_PARSE_FAILED = 23,
        SUBSCRIPTION_NOT_EXIST = 24,
        SUBSCRIPTION_NOT_LATEST = 25,
        SUBSCRIPTION_GROUP_NOT_EXIST = 26,
        FILTER_DATA_NOT_EXIST = 27,
        FILTER_DATA_NOT_LATEST = 28,
        INVALID_PARAMETER = 29,
        TRANSACTION_SHOULD_COMMIT = 200,
        TRANSACTION_SHOULD_ROLLBACK = 201,
        TRANSACTION_STATE_UNKNOW = 202,
        TRANSACTION_STATE_GROUP_WRONG = 203,
        NO_BUYER_ID = 204,
        NOT_IN_CURRENT_UNIT = 205,
        CONSUMER_NOT_ONLINE = 206,
        CONSUME_MSG_TIMEOUT = 207,
        NO_MESSAGE = 208,
        POLLING_FULL = 209,
        POLLING_TIMEOUT = 210,
        BROKER_NOT_EXIST = 211,
        BROKER_DISPATCH_NOT_COMPLETE = 212,
        BROADCAST_CONSUMPTION = 213,
        FLOW_CONTROL = 215,
        NOT_LEADER_FOR_QUEUE = 501,
        ILLEGAL_OPERATION = 604,
        RPC_UNKNOWN = -1000,
        RPC_ADDR_IS_NULL = -1002,
        RPC_SEND_TO_CHANNEL_FAILED = -1004,
        RPC_TIME_OUT = -1006,
        GO_AWAY = 1500,
        CONTROLLER_FENCED_MASTER_EPOCH = 2000,
        CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH = 2001,
        CONTROLLER_INVALID_MASTER = 2002,
        CONTROLLER_INVALID_REPLICAS = 2003,
        CONTROLLER_MASTER_NOT_AVAILABLE = 2004,
        CONTROLLER_INVALID_REQUEST = 2005,
        CONTROLLER_BROKER_NOT_ALIVE = 2006,
        CONTROLLER_NOT_LEADER = 2007,
        CONTROLLER_BROKER_METADATA_NOT_EXIST = 2008,
        CONTROLLER_INVALID_CLEAN_BROKER_METADATA = 2009,
        CONTROLLER_BROKER_NEED_TO_BE_REGISTERED = 2010,
        CONTROLLER_MASTER_STILL_EXIST = 2011,
        CONTROLLER_ELECT_MASTER_FAILED = 2012,
        CONTROLLER_ALTER_SYNC_STATE_SET_FAILED = 2013,
        CONTROLLER_BROKER_ID_INVALID = 2014,
        CONTROLLER_JRAFT_INTERNAL_ERROR = 2015,
        CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS = 2016,
        USER_NOT_EXIST = 3001,
        POLICY_NOT_EXIST = 3002,
});

/// Writes `NAME(code)` for a named code and `UNKNOWN(code)` otherwise.
fn fmt_code(name: Option<&'static str>, value: i32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match name {
        Some(name) => write!(f, "{name}({value})"),
        None => write!(f, "UNKNOWN({value})"),
    }
}

impl fmt::Display for RequestCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_code(self.name(), self.0, f)
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_code(self.name(), self.0, f)
    }
}

impl From<i32> for RequestCode {
    fn from(code: i32) -> Self {
        RequestCode(code)
    }
}

impl From<RequestCode> for i32 {
    fn from(code: RequestCode) -> Self {
        code.0
    }
}

impl From<i32> for ResponseCode {
    fn from(code: i32) -> Self {
        ResponseCode(code)
    }
}

impl From<ResponseCode> for i32 {
    fn from(code: ResponseCode) -> Self {
        code.0
    }
}

/// The client language of a command's sender (`LanguageCode.java`, REMOTING.md §1.5).
///
/// Carried as a name in JSON headers and as one byte in binary headers. Nothing
/// depends on it but logs: a broker always replies with [`LanguageCode::Java`],
/// because older Java clients do not know newer names such as `RUST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    /// `JAVA`, byte 0.
    #[default]
    Java,
    /// `CPP`, byte 1.
    Cpp,
    /// `DOTNET`, byte 2.
    DotNet,
    /// `PYTHON`, byte 3.
    Python,
    /// `DELPHI`, byte 4.
    Delphi,
    /// `ERLANG`, byte 5.
    Erlang,
    /// `RUBY`, byte 6.
    Ruby,
    /// `OTHER`, byte 7. Also what an unknown language *name* decodes to.
    Other,
    /// `HTTP`, byte 8.
    Http,
    /// `GO`, byte 9.
    Go,
    /// `PHP`, byte 10.
    Php,
    /// `OMS`, byte 11.
    Oms,
    /// `RUST`, byte 12.
    Rust,
    /// `NODE_JS`, byte 13.
    NodeJs,
    /// A byte that is none of the above, kept so that it can be logged and sent
    /// back unchanged. Build values with [`LanguageCode::from_byte`], which never
    /// wraps a known byte, so that equality stays meaningful.
    Unknown(u8),
}

/// Every known language with its byte and its Java name, in byte order.
const LANGUAGES: [(LanguageCode, &str); 14] = [
    (LanguageCode::Java, "JAVA"),
    (LanguageCode::Cpp, "CPP"),
    (LanguageCode::DotNet, "DOTNET"),
    (LanguageCode::Python, "PYTHON"),
    (LanguageCode::Delphi, "DELPHI"),
    (LanguageCode::Erlang, "ERLANG"),
    (LanguageCode::Ruby, "RUBY"),
    (LanguageCode::Other, "OTHER"),
    (LanguageCode::Http, "HTTP"),
    (LanguageCode::Go, "GO"),
    (LanguageCode::Php, "PHP"),
    (LanguageCode::Oms, "OMS"),
    (LanguageCode::Rust, "RUST"),
    (LanguageCode::NodeJs, "NODE_JS"),
];

impl LanguageCode {
    /// The language a binary header's byte names; unknown bytes become
    /// [`LanguageCode::Unknown`] (Java would decode them as null).
    pub fn from_byte(byte: u8) -> Self {
        match LANGUAGES.get(usize::from(byte)) {
            Some(&(language, _)) => language,
            None => LanguageCode::Unknown(byte),
        }
    }

    /// The byte a binary header carries for this language.
    pub fn as_byte(self) -> u8 {
        match self {
            LanguageCode::Java => 0,
            LanguageCode::Cpp => 1,
            LanguageCode::DotNet => 2,
            LanguageCode::Python => 3,
            LanguageCode::Delphi => 4,
            LanguageCode::Erlang => 5,
            LanguageCode::Ruby => 6,
            LanguageCode::Other => 7,
            LanguageCode::Http => 8,
            LanguageCode::Go => 9,
            LanguageCode::Php => 10,
            LanguageCode::Oms => 11,
            LanguageCode::Rust => 12,
            LanguageCode::NodeJs => 13,
            LanguageCode::Unknown(byte) => byte,
        }
    }

    /// The Java name (`"JAVA"`, `"NODE_JS"`, ...), or `None` for an unknown byte.
    pub fn name(self) -> Option<&'static str> {
        match self {
            LanguageCode::Unknown(_) => None,
            known => LANGUAGES
                .get(usize::from(known.as_byte()))
                .map(|&(_, name)| name),
        }
    }

    /// The language with this exact Java name, or `None`. Decoders map `None` to
    /// [`LanguageCode::Other`] rather than failing.
    pub fn from_name(name: &str) -> Option<Self> {
        LANGUAGES
            .iter()
            .find(|&&(_, known)| known == name)
            .map(|&(language, _)| language)
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "UNKNOWN({})", self.as_byte()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_byte_round_trips() {
        for byte in 0..=u8::MAX {
            let language = LanguageCode::from_byte(byte);
            assert_eq!(language.as_byte(), byte);
            assert_eq!(
                matches!(language, LanguageCode::Unknown(_)),
                byte > 13,
                "byte {byte}"
            );
        }
    }

    #[test]
    fn every_known_language_name_round_trips() {
        for (index, &(language, name)) in LANGUAGES.iter().enumerate() {
            assert_eq!(usize::from(language.as_byte()), index);
            assert_eq!(language.name(), Some(name));
            assert_eq!(LanguageCode::from_name(name), Some(language));
        }
        assert_eq!(LanguageCode::from_name("COBOL"), None);
        assert_eq!(LanguageCode::from_byte(200).name(), None);
        assert_eq!(LanguageCode::from_byte(200).to_string(), "UNKNOWN(200)");
        assert_eq!(LanguageCode::NodeJs.to_string(), "NODE_JS");
    }

    #[test]
    fn codes_named_in_the_spec_have_their_numbers() {
        assert_eq!(RequestCode::SEND_MESSAGE.0, 10);
        assert_eq!(RequestCode::SEND_MESSAGE_V2.0, 310);
        assert_eq!(RequestCode::LITE_PULL_MESSAGE.0, 361);
        assert_eq!(RequestCode::BROKER_HEARTBEAT.0, 904);
        assert_eq!(RequestCode::POP_MESSAGE.0, 200_050);
        assert_eq!(ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0, 3);
        assert_eq!(ResponseCode::GO_AWAY.0, 1500);
        assert_eq!(ResponseCode::TRANSACTION_STATE_UNKNOW.0, 202);
    }

    #[test]
    fn every_named_code_round_trips_through_its_name() {
        for &code in RequestCode::KNOWN {
            let name = code.name().unwrap();
            assert_eq!(RequestCode::from_name(name), Some(code));
        }
        for &code in ResponseCode::KNOWN {
            let name = code.name().unwrap();
            assert_eq!(ResponseCode::from_name(name), Some(code));
        }
    }

    #[test]
    fn unknown_codes_survive_as_numbers() {
        let code = RequestCode::from(123_456);
        assert_eq!(code.name(), None);
        assert_eq!(i32::from(code), 123_456);
        assert_eq!(code.to_string(), "UNKNOWN(123456)");
        assert_eq!(RequestCode::HEART_BEAT.to_string(), "HEART_BEAT(34)");
        assert_eq!(ResponseCode::from(-7).to_string(), "UNKNOWN(-7)");
    }
}
