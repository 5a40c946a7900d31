//! [`RemotingCommand`]: one decoded frame, request or response, and its builders.

use bytes::Bytes;

use super::{SerializeType, FLAG_ONEWAY, FLAG_RESPONSE};
use crate::code::{LanguageCode, RequestCode, ResponseCode, THRUST_REMOTING_VERSION};
use crate::ExtFields;

/// One remoting command: the header fields, the body and the header encoding it
/// arrived in (or should be sent in).
///
/// A value is plain data, owned by whoever decoded or built it; it can move
/// between shards. `body` is a [`Bytes`], so a command decoded with
/// [`decode_frame_from`](super::decode_frame_from) shares the receive buffer
/// instead of copying the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotingCommand {
    /// Request code (requests) or response code (responses); see
    /// [`RequestCode`] and [`ResponseCode`]. Any number is kept as is.
    pub code: i32,
    /// The sender's client language.
    pub language: LanguageCode,
    /// The sender's `MQVersion` ordinal (REMOTING.md §1.6).
    pub version: i32,
    /// Request id chosen by the requester; a response carries the request's.
    pub opaque: i32,
    /// Bit 0 [`FLAG_RESPONSE`], bit 1 [`FLAG_ONEWAY`]; other bits are kept.
    pub flag: i32,
    /// Free text, mostly error descriptions. The binary header cannot tell
    /// `Some("")` from `None`; both encode as length 0 and decode as `None`.
    pub remark: Option<String>,
    /// The custom header (REMOTING.md §1.7).
    pub ext_fields: ExtFields,
    /// Raw body bytes; empty when the frame has none.
    pub body: Bytes,
    /// How the header is (to be) encoded.
    pub serialize_type: SerializeType,
}

/// The fields a header carries: a [`RemotingCommand`] without body and
/// serialize type. What [`decode_json_header`](super::decode_json_header) and
/// [`decode_binary_header`](super::decode_binary_header) return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderFields {
    /// See [`RemotingCommand::code`].
    pub code: i32,
    /// See [`RemotingCommand::language`].
    pub language: LanguageCode,
    /// See [`RemotingCommand::version`].
    pub version: i32,
    /// See [`RemotingCommand::opaque`].
    pub opaque: i32,
    /// See [`RemotingCommand::flag`].
    pub flag: i32,
    /// See [`RemotingCommand::remark`].
    pub remark: Option<String>,
    /// See [`RemotingCommand::ext_fields`].
    pub ext_fields: ExtFields,
}

impl HeaderFields {
    /// What a JSON header decodes to before its members are read: the Java
    /// broker's defaults for missing members (language JAVA, integers 0).
    pub(super) fn java_defaults() -> Self {
        HeaderFields {
            code: 0,
            language: LanguageCode::Java,
            version: 0,
            opaque: 0,
            flag: 0,
            remark: None,
            ext_fields: ExtFields::new(),
        }
    }

    /// The command made of these header fields, `body` and `serialize_type`.
    pub fn into_command(self, body: Bytes, serialize_type: SerializeType) -> RemotingCommand {
        RemotingCommand {
            code: self.code,
            language: self.language,
            version: self.version,
            opaque: self.opaque,
            flag: self.flag,
            remark: self.remark,
            ext_fields: self.ext_fields,
            body,
            serialize_type,
        }
    }
}

impl RemotingCommand {
    /// A request with `code`: JSON header, language JAVA, version
    /// [`THRUST_REMOTING_VERSION`], opaque 0 (set it with
    /// [`with_opaque`](Self::with_opaque)), flag 0, no remark, fields or body.
    pub fn request(code: i32) -> Self {
        RemotingCommand {
            code,
            language: LanguageCode::Java,
            version: THRUST_REMOTING_VERSION,
            opaque: 0,
            flag: 0,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        }
    }

    /// A response with `code` and `remark`, opaque 0: prefer
    /// [`response_to`](Self::response_to), which also copies the request's opaque.
    pub fn response(code: i32, remark: Option<String>) -> Self {
        let mut response = Self::request(code);
        response.flag = FLAG_RESPONSE;
        response.remark = remark;
        assert!(response.is_response());
        response
    }

    /// The response to `self`: same opaque and same header encoding as the
    /// request (every client decodes both, so mirroring is safe, REMOTING.md §1.4).
    pub fn response_to(&self, code: i32, remark: Option<String>) -> Self {
        // A response is never answered; `net` drops responses before dispatch.
        debug_assert!(
            !self.is_response(),
            "answering response opaque {}",
            self.opaque
        );
        let mut response = Self::response(code, remark);
        response.opaque = self.opaque;
        response.serialize_type = self.serialize_type;
        response
    }

    /// Whether flag bit 0 (response) is set.
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Whether flag bit 1 (oneway) is set: the receiver must not answer. Go's
    /// "oneway" calls do not set it and expect an answer (trap 10).
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// Sets the oneway bit.
    pub fn mark_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }

    /// `code` read as a request code (meaningful when this is a request).
    pub fn request_code(&self) -> RequestCode {
        RequestCode(self.code)
    }

    /// `code` read as a response code (meaningful when this is a response).
    pub fn response_code(&self) -> ResponseCode {
        ResponseCode(self.code)
    }

    /// The value of ext field `key`, if present.
    pub fn ext_field(&self, key: &str) -> Option<&str> {
        self.ext_fields.get(key).map(String::as_str)
    }

    /// Sets the body.
    pub fn with_body(mut self, body: Bytes) -> Self {
        self.body = body;
        self
    }

    /// Sets the opaque.
    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }

    /// Sets the remark.
    pub fn with_remark(mut self, remark: Option<String>) -> Self {
        self.remark = remark;
        self
    }

    /// Sets one ext field, replacing any previous value of `key`.
    pub fn with_ext_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext_fields.insert(key.into(), value.into());
        self
    }

    /// Replaces all ext fields.
    pub fn with_ext_fields(mut self, ext_fields: ExtFields) -> Self {
        self.ext_fields = ext_fields;
        self
    }

    /// Sets the header encoding.
    pub fn with_serialize_type(mut self, serialize_type: SerializeType) -> Self {
        self.serialize_type = serialize_type;
        self
    }

    /// The header fields, without body and serialize type.
    pub fn header_fields(&self) -> HeaderFields {
        HeaderFields {
            code: self.code,
            language: self.language,
            version: self.version,
            opaque: self.opaque,
            flag: self.flag,
            remark: self.remark.clone(),
            ext_fields: self.ext_fields.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_defaults_to_json_java_and_our_version() {
        let request = RemotingCommand::request(RequestCode::HEART_BEAT.0);
        assert_eq!(request.code, 34);
        assert_eq!(request.language, LanguageCode::Java);
        assert_eq!(request.version, 479);
        assert_eq!(request.flag, 0);
        assert_eq!(request.serialize_type, SerializeType::Json);
        assert!(!request.is_response());
        assert!(!request.is_oneway());
    }

    #[test]
    fn response_to_copies_opaque_and_serialize_type() {
        let request = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2.0)
            .with_opaque(77)
            .with_serialize_type(SerializeType::RocketMq);
        let response = request.response_to(ResponseCode::SYSTEM_BUSY.0, Some("busy".into()));
        assert!(response.is_response());
        assert!(!response.is_oneway());
        assert_eq!(response.opaque, 77);
        assert_eq!(response.code, 2);
        assert_eq!(response.remark.as_deref(), Some("busy"));
        assert_eq!(response.serialize_type, SerializeType::RocketMq);
        assert_eq!(response.language, LanguageCode::Java);
    }

    #[test]
    fn mark_oneway_sets_only_bit_one() {
        let mut request = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET.0);
        request.mark_oneway();
        assert_eq!(request.flag, FLAG_ONEWAY);
        assert!(request.is_oneway());
        assert!(!request.is_response());
    }

    #[test]
    fn header_fields_round_trip_into_command() {
        let request = RemotingCommand::request(11)
            .with_opaque(5)
            .with_remark(Some("r".into()))
            .with_ext_field("topic", "T")
            .with_body(Bytes::from_static(b"body"));
        let rebuilt = request
            .header_fields()
            .into_command(request.body.clone(), request.serialize_type);
        assert_eq!(rebuilt, request);
        assert_eq!(rebuilt.ext_field("topic"), Some("T"));
        assert_eq!(rebuilt.ext_field("queueId"), None);
    }
}
