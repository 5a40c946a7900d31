//! The CommitLog record (REMOTING.md §5.1): what the store appends and what
//! PULL_MESSAGE, QUERY_MESSAGE and VIEW_MESSAGE_BY_ID bodies carry, byte for byte.
//!
//! All integers are big-endian (Java `int`/`long`/`short`/`byte`).
//!
//! ```text
//! position  size      field
//!  0        i32       TOTALSIZE            whole record, this field included
//!  4        i32       MAGICCODE            MAGIC_V1 (i8 topic length) or MAGIC_V2 (i16)
//!  8        i32       BODYCRC              crc32 (IEEE) of the body & 0x7FFFFFFF
//! 12        i32       QUEUEID
//! 16        i32       FLAG                 user flag, verbatim
//! 20        i64       QUEUEOFFSET          logical offset in the consume queue
//! 28        i64       PHYSICALOFFSET       commit-log position of this record
//! 36        i32       SYSFLAG              sys_flag.rs; 0x10/0x20 say which host is IPv6
//! 40        i64       BORNTIMESTAMP        ms since the epoch
//! 48        8 | 20    BORNHOST             4 or 16 address bytes + i32 port
//! B+0       i64       STORETIMESTAMP       B = 48 + born host size
//! B+8       8 | 20    STOREHOST            4 or 16 address bytes + i32 port
//! S+0       i32       RECONSUMETIMES       S = B + 8 + store host size
//! S+4       i64       PREPAREDTXOFFSET
//! S+12      i32       BODYLENGTH, then the body
//!           i8 | i16  TOPICLENGTH, then the topic (UTF-8)
//!           i16       PROPERTIESLENGTH, then the properties (properties.rs)
//! ```
//!
//! With IPv4 hosts and V1 magic a record is `91 + body + topic + properties`
//! bytes ([`FIXED_SIZE_V1_IPV4`]).
//!
//! Encoding writes `MAGIC_V1` (one signed length byte) for topics of up to 127
//! bytes, which is every topic a client may send to, and `MAGIC_V2` (i16
//! length) for longer ones, as the Java broker does; those can only be
//! `%RETRY%`/`%DLQ%` topics of long group names, and Go clients, which ignore
//! the magic, cannot read them from an Apache broker either. Decoding accepts
//! both.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use bytes::BufMut;

use super::byte_reader::{non_negative_length, ByteReader};
use super::sys_flag::{BORNHOST_V6_FLAG, STOREHOSTADDRESS_V6_FLAG};
use super::EncodeError;
use crate::DecodeError;

/// Magic code of a record with a one-byte (i8) topic length.
pub const MAGIC_V1: i32 = -626843481; // 0xDAA320A7
/// Magic code of a record with a two-byte (i16) topic length.
pub const MAGIC_V2: i32 = -626843477; // 0xDAA320AB
/// Magic code of the commit-log end filler, 0xCBD43194 (storage-internal,
/// never sent; [`RecordView::parse`] rejects it as an unknown magic).
pub const BLANK_MAGIC: i32 = -875286124;
/// Size of the filler's header: TOTALSIZE + MAGICCODE.
pub const BLANK_HEADER_SIZE: usize = I32_SIZE + I32_SIZE;

const I8_SIZE: usize = 1;
const I16_SIZE: usize = 2;
const I32_SIZE: usize = 4;
const I64_SIZE: usize = 8;

pub const TOTAL_SIZE_POSITION: usize = 0;
pub const MAGIC_POSITION: usize = TOTAL_SIZE_POSITION + I32_SIZE;
pub const BODY_CRC_POSITION: usize = MAGIC_POSITION + I32_SIZE;
pub const QUEUE_ID_POSITION: usize = BODY_CRC_POSITION + I32_SIZE;
pub const FLAG_POSITION: usize = QUEUE_ID_POSITION + I32_SIZE;
pub const QUEUE_OFFSET_POSITION: usize = FLAG_POSITION + I32_SIZE;
pub const PHYSICAL_OFFSET_POSITION: usize = QUEUE_OFFSET_POSITION + I64_SIZE;
pub const SYS_FLAG_POSITION: usize = PHYSICAL_OFFSET_POSITION + I64_SIZE;
pub const BORN_TIMESTAMP_POSITION: usize = SYS_FLAG_POSITION + I32_SIZE;
/// The last fixed position: everything after the born host moves with its size.
pub const BORN_HOST_POSITION: usize = BORN_TIMESTAMP_POSITION + I64_SIZE;

/// A host field with an IPv4 address: 4 address bytes + i32 port.
pub const HOST_V4_SIZE: usize = 4 + I32_SIZE;
/// A host field with an IPv6 address: 16 address bytes + i32 port.
pub const HOST_V6_SIZE: usize = 16 + I32_SIZE;

/// Longest topic a V1 record can carry (its length byte is a signed i8).
pub const TOPIC_LENGTH_MAX_V1: usize = i8::MAX as usize;
/// Longest topic a V2 record can carry (signed i16 length).
pub const TOPIC_LENGTH_MAX_V2: usize = i16::MAX as usize;
/// Longest property string (signed i16 length).
pub const PROPERTIES_LENGTH_MAX: usize = i16::MAX as usize;
/// Largest record: TOTALSIZE is a signed i32.
pub const RECORD_SIZE_MAX: usize = i32::MAX as usize;

/// Where the variable-position fields of a record start, given the sizes of
/// its two host fields (which the SYSFLAG bits 0x10/0x20 decide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLayout {
    born_host_size: usize,
    store_host_size: usize,
}

// The position sums below add a handful of constants and two host sizes that
// are each HOST_V4_SIZE or HOST_V6_SIZE (the fields are private and only
// `from_sys_flag` sets them), so they stay far below any overflow.
#[allow(clippy::arithmetic_side_effects)]
impl RecordLayout {
    /// Both hosts IPv4.
    pub const IPV4: RecordLayout = RecordLayout {
        born_host_size: HOST_V4_SIZE,
        store_host_size: HOST_V4_SIZE,
    };

    /// The layout that a record with this SYSFLAG has.
    pub const fn from_sys_flag(sys_flag: i32) -> RecordLayout {
        RecordLayout {
            born_host_size: host_size(sys_flag & BORNHOST_V6_FLAG != 0),
            store_host_size: host_size(sys_flag & STOREHOSTADDRESS_V6_FLAG != 0),
        }
    }

    /// Size of the BORNHOST field: [`HOST_V4_SIZE`] or [`HOST_V6_SIZE`].
    pub const fn born_host_size(self) -> usize {
        self.born_host_size
    }

    /// Size of the STOREHOSTADDRESS field: [`HOST_V4_SIZE`] or [`HOST_V6_SIZE`].
    pub const fn store_host_size(self) -> usize {
        self.store_host_size
    }

    pub const fn store_timestamp_position(self) -> usize {
        BORN_HOST_POSITION + self.born_host_size
    }

    pub const fn store_host_position(self) -> usize {
        self.store_timestamp_position() + I64_SIZE
    }

    pub const fn reconsume_times_position(self) -> usize {
        self.store_host_position() + self.store_host_size
    }

    pub const fn prepared_transaction_offset_position(self) -> usize {
        self.reconsume_times_position() + I32_SIZE
    }

    pub const fn body_length_position(self) -> usize {
        self.prepared_transaction_offset_position() + I64_SIZE
    }

    /// Size of a record with an empty body, topic and properties.
    pub const fn fixed_size(self, magic_v2: bool) -> usize {
        let topic_length_size = if magic_v2 { I16_SIZE } else { I8_SIZE };
        self.body_length_position() + I32_SIZE + topic_length_size + I16_SIZE
    }
}

const fn host_size(is_v6: bool) -> usize {
    if is_v6 {
        HOST_V6_SIZE
    } else {
        HOST_V4_SIZE
    }
}

/// Size of a V1 record with IPv4 hosts and nothing in body, topic or properties.
pub const FIXED_SIZE_V1_IPV4: usize = RecordLayout::IPV4.fixed_size(false);
/// The smallest record of any layout; a smaller TOTALSIZE is always corrupt.
pub const RECORD_SIZE_MIN: usize = FIXED_SIZE_V1_IPV4;

const _: () = assert!(BORN_HOST_POSITION == 48);
const _: () = assert!(RecordLayout::IPV4.store_timestamp_position() == 56);
const _: () = assert!(RecordLayout::IPV4.store_host_position() == 64);
const _: () = assert!(RecordLayout::IPV4.reconsume_times_position() == 72);
const _: () = assert!(RecordLayout::IPV4.body_length_position() == 84);
const _: () = assert!(FIXED_SIZE_V1_IPV4 == 91);
const _: () = assert!(
    RecordLayout::from_sys_flag(BORNHOST_V6_FLAG | STOREHOSTADDRESS_V6_FLAG).fixed_size(true)
        == FIXED_SIZE_V1_IPV4 + 2 * (HOST_V6_SIZE - HOST_V4_SIZE) + (I16_SIZE - I8_SIZE)
);
const _: () = assert!(BLANK_MAGIC as u32 == 0xCBD4_3194);
const _: () = assert!(MAGIC_V1 as u32 == 0xDAA3_20A7 && MAGIC_V2 as u32 == 0xDAA3_20AB);

/// Inputs for encoding a record (broker side). Borrowed: encoding copies each
/// field once into the output buffer and allocates nothing.
///
/// `sys_flag` bits 0x10/0x20 are ignored and recomputed from the address
/// families of `born_host`/`store_host`; every other bit is written as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInput<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub flag: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: &'a [u8],
    pub properties: &'a [u8],
    pub queue_offset: i64,
    pub physical_offset: i64,
}

impl RecordInput<'_> {
    /// The SYSFLAG that will be stored: the input's bits with 0x10/0x20 set
    /// from the host address families.
    pub fn stored_sys_flag(&self) -> i32 {
        let mut sys_flag = self.sys_flag & !(BORNHOST_V6_FLAG | STOREHOSTADDRESS_V6_FLAG);
        if self.born_host.is_ipv6() {
            sys_flag |= BORNHOST_V6_FLAG;
        }
        if self.store_host.is_ipv6() {
            sys_flag |= STOREHOSTADDRESS_V6_FLAG;
        }
        sys_flag
    }

    fn magic_v2(&self) -> bool {
        self.topic.len() > TOPIC_LENGTH_MAX_V1
    }
}

/// The number of bytes [`encode_record`] writes for `input`.
///
/// # Errors
/// [`EncodeError::TooLarge`] if the topic is longer than 32767 bytes, the
/// properties longer than 32767 bytes, or the record larger than `i32::MAX`.
pub fn encoded_len(input: &RecordInput) -> Result<usize, EncodeError> {
    check_limit("record topic", input.topic.len(), TOPIC_LENGTH_MAX_V2)?;
    check_limit(
        "record properties",
        input.properties.len(),
        PROPERTIES_LENGTH_MAX,
    )?;
    check_limit("record body", input.body.len(), RECORD_SIZE_MAX)?;
    let fixed_size =
        RecordLayout::from_sys_flag(input.stored_sys_flag()).fixed_size(input.magic_v2());
    // Topic and properties are at most 32767 each and the fixed part is tiny,
    // so only the body can overflow; checked anyway.
    let total = [input.body.len(), input.topic.len(), input.properties.len()]
        .iter()
        .try_fold(fixed_size, |sum, part| sum.checked_add(*part));
    let total = total.unwrap_or(usize::MAX);
    check_limit("record", total, RECORD_SIZE_MAX)?;
    assert!(total >= RECORD_SIZE_MIN);
    Ok(total)
}

fn check_limit(what: &'static str, length: usize, limit: usize) -> Result<(), EncodeError> {
    if length > limit {
        return Err(EncodeError::TooLarge {
            what,
            length: length as u64,
            limit: limit as u64,
        });
    }
    Ok(())
}

/// BODYCRC of a body: IEEE crc32 masked with 0x7FFFFFFF, as Java stores it.
pub fn body_crc(body: &[u8]) -> i32 {
    let crc = crc32fast::hash(body) & 0x7FFF_FFFF;
    // The mask clears the sign bit, so the value fits an i32 unchanged.
    crc as i32
}

/// Appends the record for `input` to `out` (a `BytesMut`, a `Vec<u8>`, or a
/// `&mut [u8]` window of a store buffer), computing BODYCRC and the host
/// family bits of SYSFLAG.
///
/// # Errors
/// Those of [`encoded_len`], and [`EncodeError::BufferTooSmall`] if `out`
/// cannot grow to take the record; nothing is written then.
pub fn encode_record<B: BufMut>(input: &RecordInput, out: &mut B) -> Result<(), EncodeError> {
    let total = encoded_len(input)?;
    if out.remaining_mut() < total {
        return Err(EncodeError::BufferTooSmall {
            what: "record",
            need: total,
            have: out.remaining_mut(),
        });
    }
    let remaining_before = out.remaining_mut();
    let magic_v2 = input.magic_v2();
    // Every length below was checked against its limit by `encoded_len`.
    out.put_i32(total as i32);
    out.put_i32(if magic_v2 { MAGIC_V2 } else { MAGIC_V1 });
    out.put_i32(body_crc(input.body));
    out.put_i32(input.queue_id);
    out.put_i32(input.flag);
    out.put_i64(input.queue_offset);
    out.put_i64(input.physical_offset);
    out.put_i32(input.stored_sys_flag());
    out.put_i64(input.born_timestamp);
    put_host(out, input.born_host);
    out.put_i64(input.store_timestamp);
    put_host(out, input.store_host);
    out.put_i32(input.reconsume_times);
    out.put_i64(input.prepared_transaction_offset);
    out.put_i32(input.body.len() as i32);
    out.put_slice(input.body);
    if magic_v2 {
        out.put_i16(input.topic.len() as i16);
    } else {
        out.put_i8(input.topic.len() as i8);
    }
    out.put_slice(input.topic.as_bytes());
    out.put_i16(input.properties.len() as i16);
    out.put_slice(input.properties);
    let written = remaining_before.saturating_sub(out.remaining_mut());
    assert_eq!(
        written, total,
        "record: encoded size disagrees with encoded_len"
    );
    Ok(())
}

fn put_host<B: BufMut>(out: &mut B, host: SocketAddr) {
    match host.ip() {
        IpAddr::V4(ip) => out.put_slice(&ip.octets()),
        IpAddr::V6(ip) => out.put_slice(&ip.octets()),
    }
    out.put_i32(i32::from(host.port()));
}

/// Writes the fields the store assigns at append time into an encoded record,
/// at their fixed positions (STORETIMESTAMP moves with the born host size,
/// which is read from the record's SYSFLAG). BODYCRC does not cover them.
///
/// # Errors
/// [`DecodeError::UnexpectedEof`] if `record` is shorter than its fixed part.
pub fn patch_append_fields(
    record: &mut [u8],
    queue_offset: i64,
    physical_offset: i64,
    store_timestamp: i64,
) -> Result<(), DecodeError> {
    let sys_flag = {
        let mut reader = ByteReader::new(record);
        reader.bytes(SYS_FLAG_POSITION, "record")?;
        reader.i32("record SYSFLAG")?
    };
    let layout = RecordLayout::from_sys_flag(sys_flag);
    let needed = layout.fixed_size(false);
    if record.len() < needed {
        return Err(DecodeError::UnexpectedEof {
            what: "record fixed part",
            position: 0,
            need: needed,
            have: record.len(),
        });
    }
    write_i64(record, QUEUE_OFFSET_POSITION, queue_offset)?;
    write_i64(record, PHYSICAL_OFFSET_POSITION, physical_offset)?;
    write_i64(record, layout.store_timestamp_position(), store_timestamp)?;
    Ok(())
}

/// Rewrites QUEUEOFFSET alone (batch records each get the next offset).
///
/// # Errors
/// [`DecodeError::UnexpectedEof`] if `record` is too short.
pub fn patch_queue_offset(record: &mut [u8], queue_offset: i64) -> Result<(), DecodeError> {
    write_i64(record, QUEUE_OFFSET_POSITION, queue_offset)
}

fn write_i64(record: &mut [u8], position: usize, value: i64) -> Result<(), DecodeError> {
    let have = record.len();
    let end = position.saturating_add(I64_SIZE);
    let field = record
        .get_mut(position..end)
        .ok_or(DecodeError::UnexpectedEof {
            what: "record patched field",
            position,
            need: I64_SIZE,
            have: have.saturating_sub(position),
        })?;
    field.copy_from_slice(&value.to_be_bytes());
    Ok(())
}

/// TOTALSIZE and MAGICCODE of whatever starts `buf`: enough for the store to
/// tell a record from the end-of-file filler ([`BLANK_MAGIC`]) or from zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPrefix {
    pub total_size: i32,
    pub magic: i32,
}

impl RecordPrefix {
    /// Reads the first 8 bytes; checks nothing else.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEof`] if `buf` is shorter than 8 bytes.
    pub fn peek(buf: &[u8]) -> Result<RecordPrefix, DecodeError> {
        let mut reader = ByteReader::new(buf);
        let total_size = reader.i32("record TOTALSIZE")?;
        let magic = reader.i32("record MAGICCODE")?;
        Ok(RecordPrefix { total_size, magic })
    }
}

/// A zero-copy view over one record, validated by [`RecordView::parse`]:
/// TOTALSIZE covers exactly the fields it announces, the magic is V1 or V2,
/// every length is in bounds and the topic is UTF-8. The body CRC is only
/// checked by [`RecordView::verify_body_crc`].
///
/// Fixed fields are decoded once at parse time; `body`, `topic` and
/// `properties_raw` borrow from the parsed buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView<'a> {
    bytes: &'a [u8],
    magic: i32,
    body_crc: i32,
    queue_id: i32,
    flag: i32,
    queue_offset: i64,
    physical_offset: i64,
    sys_flag: i32,
    born_timestamp: i64,
    born_host: SocketAddr,
    store_timestamp: i64,
    store_host: SocketAddr,
    reconsume_times: i32,
    prepared_transaction_offset: i64,
    body: &'a [u8],
    topic: &'a str,
    properties_raw: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Parses the record at the start of `buf`; `buf` may go on past it
    /// (read [`RecordView::total_size`] to step to the next one).
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEof`] if `buf` is shorter than TOTALSIZE (a
    /// torn tail), [`DecodeError::InvalidLength`] for a TOTALSIZE below the
    /// fixed part, a negative or overlong length field or trailing bytes,
    /// [`DecodeError::UnknownMagic`] for any other magic (the blank filler
    /// included), [`DecodeError::InvalidUtf8`] for a non-UTF-8 topic and
    /// [`DecodeError::Malformed`] for a host port outside 0..=65535.
    pub fn parse(buf: &'a [u8]) -> Result<RecordView<'a>, DecodeError> {
        let prefix = RecordPrefix::peek(buf)?;
        let total_size =
            non_negative_length(i64::from(prefix.total_size), "record TOTALSIZE", buf.len())?;
        if total_size < RECORD_SIZE_MIN {
            return Err(DecodeError::InvalidLength {
                what: "record TOTALSIZE below the fixed part",
                length: i64::from(prefix.total_size),
                available: buf.len() as u64,
            });
        }
        if prefix.magic != MAGIC_V1 && prefix.magic != MAGIC_V2 {
            return Err(DecodeError::UnknownMagic {
                what: "record MAGICCODE",
                value: prefix.magic as u32,
            });
        }
        let bytes = buf.get(..total_size).ok_or(DecodeError::UnexpectedEof {
            what: "record",
            position: 0,
            need: total_size,
            have: buf.len(),
        })?;
        let view = Self::parse_fields(bytes, prefix.magic)?;
        assert_eq!(view.bytes.len(), total_size);
        Ok(view)
    }

    /// Decodes every field of `bytes`, which is exactly TOTALSIZE long.
    fn parse_fields(bytes: &'a [u8], magic: i32) -> Result<RecordView<'a>, DecodeError> {
        let mut reader = ByteReader::new(bytes);
        reader.bytes(BODY_CRC_POSITION, "record")?;
        let body_crc = reader.i32("record BODYCRC")?;
        let queue_id = reader.i32("record QUEUEID")?;
        let flag = reader.i32("record FLAG")?;
        let queue_offset = reader.i64("record QUEUEOFFSET")?;
        let physical_offset = reader.i64("record PHYSICALOFFSET")?;
        let sys_flag = reader.i32("record SYSFLAG")?;
        let born_timestamp = reader.i64("record BORNTIMESTAMP")?;
        let born_host = read_host(
            &mut reader,
            sys_flag & BORNHOST_V6_FLAG != 0,
            "record BORNHOST",
        )?;
        let store_timestamp = reader.i64("record STORETIMESTAMP")?;
        let store_host = read_host(
            &mut reader,
            sys_flag & STOREHOSTADDRESS_V6_FLAG != 0,
            "record STOREHOST",
        )?;
        let reconsume_times = reader.i32("record RECONSUMETIMES")?;
        let prepared_transaction_offset = reader.i64("record PREPAREDTXOFFSET")?;
        let body = read_length_prefixed(&mut reader, LengthWidth::I32, "record body")?;
        let topic_width = if magic == MAGIC_V2 {
            LengthWidth::I16
        } else {
            LengthWidth::I8
        };
        let topic = read_length_prefixed(&mut reader, topic_width, "record topic")?;
        let topic = std::str::from_utf8(topic).map_err(|err| DecodeError::InvalidUtf8 {
            what: "record topic",
            valid_up_to: err.valid_up_to(),
        })?;
        let properties_raw =
            read_length_prefixed(&mut reader, LengthWidth::I16, "record properties")?;
        if reader.remaining() != 0 {
            return Err(DecodeError::InvalidLength {
                what: "record TOTALSIZE beyond its fields",
                length: bytes.len() as i64,
                available: reader.position() as u64,
            });
        }
        Ok(RecordView {
            bytes,
            magic,
            body_crc,
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body,
            topic,
            properties_raw,
        })
    }

    /// Checks BODYCRC against the body.
    ///
    /// # Errors
    /// [`DecodeError::ChecksumMismatch`] if they differ.
    pub fn verify_body_crc(&self) -> Result<(), DecodeError> {
        let actual = body_crc(self.body);
        if actual != self.body_crc {
            return Err(DecodeError::ChecksumMismatch {
                what: "record BODYCRC",
                expected: self.body_crc as u32,
                actual: actual as u32,
            });
        }
        Ok(())
    }

    /// The whole record, TOTALSIZE bytes, as stored.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// TOTALSIZE, validated to be the record's exact length.
    pub fn total_size(&self) -> usize {
        self.bytes.len()
    }

    pub fn magic(&self) -> i32 {
        self.magic
    }

    pub fn body_crc(&self) -> i32 {
        self.body_crc
    }

    pub fn queue_id(&self) -> i32 {
        self.queue_id
    }

    pub fn flag(&self) -> i32 {
        self.flag
    }

    pub fn queue_offset(&self) -> i64 {
        self.queue_offset
    }

    pub fn physical_offset(&self) -> i64 {
        self.physical_offset
    }

    pub fn sys_flag(&self) -> i32 {
        self.sys_flag
    }

    pub fn born_timestamp(&self) -> i64 {
        self.born_timestamp
    }

    pub fn born_host(&self) -> SocketAddr {
        self.born_host
    }

    pub fn store_timestamp(&self) -> i64 {
        self.store_timestamp
    }

    pub fn store_host(&self) -> SocketAddr {
        self.store_host
    }

    pub fn reconsume_times(&self) -> i32 {
        self.reconsume_times
    }

    pub fn prepared_transaction_offset(&self) -> i64 {
        self.prepared_transaction_offset
    }

    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    pub fn topic(&self) -> &'a str {
        self.topic
    }

    /// The encoded property string (properties.rs decodes it).
    pub fn properties_raw(&self) -> &'a [u8] {
        self.properties_raw
    }

    /// The fields as an encoder input: encoding it gives back these bytes.
    pub fn to_input(&self) -> RecordInput<'a> {
        RecordInput {
            topic: self.topic,
            queue_id: self.queue_id,
            flag: self.flag,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: self.body,
            properties: self.properties_raw,
            queue_offset: self.queue_offset,
            physical_offset: self.physical_offset,
        }
    }
}

#[derive(Clone, Copy)]
enum LengthWidth {
    I8,
    I16,
    I32,
}

fn read_length_prefixed<'a>(
    reader: &mut ByteReader<'a>,
    width: LengthWidth,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    let length = match width {
        LengthWidth::I8 => i64::from(reader.i8(what)?),
        LengthWidth::I16 => i64::from(reader.i16(what)?),
        LengthWidth::I32 => i64::from(reader.i32(what)?),
    };
    let available = reader.remaining();
    let length = non_negative_length(length, what, available)?;
    if length > available {
        return Err(DecodeError::InvalidLength {
            what,
            length: length as i64,
            available: available as u64,
        });
    }
    reader.bytes(length, what)
}

fn read_host(
    reader: &mut ByteReader<'_>,
    is_v6: bool,
    what: &'static str,
) -> Result<SocketAddr, DecodeError> {
    let ip = if is_v6 {
        IpAddr::V6(Ipv6Addr::from(reader.array::<16>(what)?))
    } else {
        IpAddr::V4(Ipv4Addr::from(reader.array::<4>(what)?))
    };
    let port = reader.i32(what)?;
    let port = u16::try_from(port).map_err(|_| DecodeError::Malformed {
        what,
        message: format!("port {port} outside 0..=65535"),
    })?;
    Ok(match ip {
        IpAddr::V4(ip) => SocketAddr::new(IpAddr::V4(ip), port),
        IpAddr::V6(ip) => SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)),
    })
}

/// Iterates over the records of a concatenation (a pull, query or view body,
/// or a run of commit-log bytes). Stops after the first error, so a torn tail
/// ends the iteration with one [`DecodeError::UnexpectedEof`].
pub fn decode_records(buf: &[u8]) -> RecordIter<'_> {
    RecordIter {
        rest: buf,
        failed: false,
    }
}

/// Iterator of [`decode_records`].
#[derive(Debug, Clone)]
pub struct RecordIter<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> RecordIter<'a> {
    /// The bytes not consumed yet (after an error: starting at the bad record).
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<RecordView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match RecordView::parse(self.rest) {
            Ok(view) => {
                assert!(view.total_size() >= RECORD_SIZE_MIN);
                self.rest = self.rest.get(view.total_size()..).unwrap_or_default();
                Some(Ok(view))
            }
            Err(err) => {
                self.failed = true;
                Some(Err(err))
            }
        }
    }
}

impl std::iter::FusedIterator for RecordIter<'_> {}
