//! [`MessageExt`]: an owned, decoded message, as a client sees it after a
//! pull (Java `MessageExt`). Built from a [`RecordView`] by copying the body
//! and parsing the properties, so it is for clients (bench), admin paths and
//! tests, not for the broker's per-message path, which uses the view.

use std::net::SocketAddr;

use bytes::BufMut;

use super::msg_id::{HexId, OffsetMsgId};
use super::properties::{
    Properties, KEY_SEPARATOR, PROPERTY_KEYS, PROPERTY_TAGS, PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
};
use super::record::{decode_records, encode_record, RecordInput, RecordView};
use super::EncodeError;
use crate::DecodeError;

/// A decoded message with owned fields and parsed properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExt {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    /// BODYCRC as stored (not re-checked here; see [`RecordView::verify_body_crc`]).
    pub body_crc: i32,
    /// TOTALSIZE of the record it was decoded from.
    pub store_size: usize,
    pub body: Vec<u8>,
    pub properties: Properties,
}

impl MessageExt {
    /// Decodes the record at the start of `buf`.
    ///
    /// # Errors
    /// Those of [`RecordView::parse`] and [`Properties::decode`].
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        RecordView::parse(buf)?.to_message_ext()
    }

    /// Decodes every record of a pull/query body.
    ///
    /// # Errors
    /// The first record error; nothing is returned then.
    pub fn decode_all(buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        decode_records(buf)
            .map(|view| view?.to_message_ext())
            .collect()
    }

    /// Re-encodes the message as a stored record. BODYCRC and TOTALSIZE are
    /// recomputed (so they equal `body_crc`/`store_size` for a decoded one);
    /// the host bits of `sys_flag` follow the host addresses.
    ///
    /// # Errors
    /// Those of [`Properties::to_bytes`] and [`encode_record`].
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), EncodeError> {
        let properties = self.properties.to_bytes()?;
        encode_record(&self.input(&properties), out)
    }

    fn input<'a>(&'a self, properties: &'a [u8]) -> RecordInput<'a> {
        RecordInput {
            topic: &self.topic,
            queue_id: self.queue_id,
            flag: self.flag,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: &self.body,
            properties,
            queue_offset: self.queue_offset,
            physical_offset: self.physical_offset,
        }
    }

    /// The offset msgId: where this record is stored.
    pub fn offset_msg_id(&self) -> HexId {
        OffsetMsgId::new(self.store_host, self.physical_offset).encode()
    }

    /// What Java's `MessageExt.getMsgId()` returns: UNIQ_KEY if present,
    /// else the offset msgId.
    pub fn msg_id(&self) -> String {
        match self.properties.get(PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) {
            Some(uniq_key) => uniq_key.to_owned(),
            None => self.offset_msg_id().as_str().to_owned(),
        }
    }

    pub fn tags(&self) -> Option<&str> {
        self.properties.get(PROPERTY_TAGS)
    }

    /// The user keys: `KEYS` split on spaces, empty parts dropped.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties
            .get(PROPERTY_KEYS)
            .unwrap_or_default()
            .split(KEY_SEPARATOR)
            .filter(|key| !key.is_empty())
    }
}

impl RecordView<'_> {
    /// Copies this record into an owned [`MessageExt`], parsing properties.
    ///
    /// # Errors
    /// [`DecodeError::InvalidUtf8`] if a property is not UTF-8.
    pub fn to_message_ext(&self) -> Result<MessageExt, DecodeError> {
        Ok(MessageExt {
            topic: self.topic().to_owned(),
            queue_id: self.queue_id(),
            flag: self.flag(),
            queue_offset: self.queue_offset(),
            physical_offset: self.physical_offset(),
            sys_flag: self.sys_flag(),
            born_timestamp: self.born_timestamp(),
            born_host: self.born_host(),
            store_timestamp: self.store_timestamp(),
            store_host: self.store_host(),
            reconsume_times: self.reconsume_times(),
            prepared_transaction_offset: self.prepared_transaction_offset(),
            body_crc: self.body_crc(),
            store_size: self.total_size(),
            body: self.body().to_vec(),
            properties: Properties::decode(self.properties_raw())?,
        })
    }
}
