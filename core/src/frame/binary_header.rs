//! The ROCKETMQ binary header (serialize type 1, REMOTING.md §1.4). Big-endian.
//!
//! ```text
//! position    size  field
//! 0           2     code        i16, sign-extended to i32 (codes above 32767 do not fit)
//! 2           1     language    LanguageCode byte
//! 3           2     version     i16
//! 5           4     opaque      i32
//! 9           4     flag        i32
//! 13          4     remark length R (i32), then R bytes of UTF-8; 0 means no remark
//! 17 + R      4     ext length E (i32), then E bytes of entries, each:
//!                     key length K (i16), K bytes, value length V (i32), V bytes
//! ```
//!
//! Decoding follows Java (`RocketMQSerializable`): a zero-length string (remark,
//! key or value) is null, so an entry with an empty key is dropped and one with
//! an empty value removes its key (`map.put(key, null)`); a repeated key keeps
//! its last value; strings that are not UTF-8 get U+FFFD replacements. Unlike
//! Java, a negative length is an error, and so is any length that runs past the
//! header or past the ext region. Bytes after the ext region are ignored.
//!
//! Encoding writes what Java would read back identically: no remark and empty
//! strings as length 0, entries with an empty key or value skipped.

use bytes::{BufMut, BytesMut};
use thiserror::Error;

use super::{HeaderFields, RemotingCommand};
use crate::code::LanguageCode;
use crate::{DecodeError, ExtFields};

const CODE_SIZE_BYTES: usize = 2;
const LANGUAGE_SIZE_BYTES: usize = 1;
const VERSION_SIZE_BYTES: usize = 2;
const OPAQUE_SIZE_BYTES: usize = 4;
const FLAG_SIZE_BYTES: usize = 4;
const REMARK_LENGTH_SIZE_BYTES: usize = 4;
const EXT_LENGTH_SIZE_BYTES: usize = 4;
const KEY_LENGTH_SIZE_BYTES: usize = 2;
const VALUE_LENGTH_SIZE_BYTES: usize = 4;

/// Size of a binary header with no remark and no ext fields.
pub const BINARY_HEADER_FIXED_SIZE_BYTES: usize = CODE_SIZE_BYTES
    + LANGUAGE_SIZE_BYTES
    + VERSION_SIZE_BYTES
    + OPAQUE_SIZE_BYTES
    + FLAG_SIZE_BYTES
    + REMARK_LENGTH_SIZE_BYTES
    + EXT_LENGTH_SIZE_BYTES;

const _: () = assert!(BINARY_HEADER_FIXED_SIZE_BYTES == 21);

/// Why a command cannot be carried by a binary header. The frame encoder then
/// falls back to JSON, which every client decodes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BinaryHeaderError {
    /// `code` is outside i16 (e.g. the POP codes, 200050 and up).
    #[error("code {code} does not fit the binary header's i16")]
    CodeOutOfRange { code: i32 },
    /// `version` is outside i16.
    #[error("version {version} does not fit the binary header's i16")]
    VersionOutOfRange { version: i32 },
    /// A string is longer than its length field can say.
    #[error("{what} of {length_bytes} bytes exceeds the limit of {limit_bytes} bytes")]
    TooLong {
        what: &'static str,
        length_bytes: usize,
        limit_bytes: usize,
    },
}

/// Decodes a binary header (the `H` bytes after the header word).
///
/// # Errors
///
/// [`DecodeError::UnexpectedEof`] when a field or string runs past the header
/// (or an entry past the ext region), [`DecodeError::InvalidLength`] for a
/// negative length or a remark/ext length larger than the rest of the header.
pub fn decode_binary_header(bytes: &[u8]) -> Result<HeaderFields, DecodeError> {
    let mut reader = Reader { bytes, position: 0 };
    let code = i32::from(i16::from_be_bytes(reader.array("code")?));
    let [language_byte] = reader.array::<1>("language")?;
    let version = i32::from(i16::from_be_bytes(reader.array("version")?));
    let opaque = i32::from_be_bytes(reader.array("opaque")?);
    let flag = i32::from_be_bytes(reader.array("flag")?);
    let remark_length = reader.length_i32("remark length")?;
    let remark_bytes = reader.take(remark_length, "remark")?;
    let remark = (!remark_bytes.is_empty()).then(|| lossy_string(remark_bytes));
    let ext_length = reader.length_i32("ext length")?;
    let ext_fields = decode_ext_fields(reader.take(ext_length, "ext fields")?)?;
    debug_assert!(reader.position <= bytes.len());
    Ok(HeaderFields {
        code,
        language: LanguageCode::from_byte(language_byte),
        version,
        opaque,
        flag,
        remark,
        ext_fields,
    })
}

/// Decodes the entries of the ext region.
fn decode_ext_fields(bytes: &[u8]) -> Result<ExtFields, DecodeError> {
    let mut reader = Reader { bytes, position: 0 };
    let mut ext_fields = ExtFields::new();
    // Every entry takes at least 6 bytes, so the loop runs at most len / 6 times.
    while reader.position < bytes.len() {
        let key_length = reader.length_i16("ext key length")?;
        let key = reader.take(key_length, "ext key")?;
        let value_length = reader.length_i32("ext value length")?;
        let value = reader.take(value_length, "ext value")?;
        if key.is_empty() {
            continue;
        }
        let key = lossy_string(key);
        if value.is_empty() {
            ext_fields.remove(&key);
        } else {
            ext_fields.insert(key, lossy_string(value));
        }
    }
    assert_eq!(
        reader.position,
        bytes.len(),
        "ext entries overran their region"
    );
    Ok(ext_fields)
}

fn lossy_string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A cursor over header bytes; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    /// The next `count` bytes.
    fn take(&mut self, count: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let eof = || DecodeError::UnexpectedEof {
            what,
            position: self.position,
            need: count,
            have: self.remaining(),
        };
        let end = self.position.checked_add(count).ok_or_else(eof)?;
        let taken = self.bytes.get(self.position..end).ok_or_else(eof)?;
        self.position = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let position = self.position;
        let taken = self.take(N, what)?;
        <[u8; N]>::try_from(taken).map_err(|_| DecodeError::UnexpectedEof {
            what,
            position,
            need: N,
            have: taken.len(),
        })
    }

    /// An i32 length that must be non-negative and fit in the rest of the bytes.
    fn length_i32(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let length = i32::from_be_bytes(self.array(what)?);
        self.checked_length(i64::from(length), what)
    }

    /// An i16 length that must be non-negative and fit in the rest of the bytes.
    fn length_i16(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let length = i16::from_be_bytes(self.array(what)?);
        self.checked_length(i64::from(length), what)
    }

    fn checked_length(&self, length: i64, what: &'static str) -> Result<usize, DecodeError> {
        let available = self.remaining();
        match usize::try_from(length) {
            Ok(length) if length <= available => Ok(length),
            _ => Err(DecodeError::InvalidLength {
                what,
                length,
                available: u64::try_from(available).unwrap_or(u64::MAX),
            }),
        }
    }
}

/// The sizes a command's binary header will have, checked against the i16/i32
/// fields that carry them.
struct BinaryLayout {
    code: i16,
    version: i16,
    remark_length: i32,
    ext_length: i32,
}

fn binary_layout(command: &RemotingCommand) -> Result<BinaryLayout, BinaryHeaderError> {
    let code = i16::try_from(command.code)
        .map_err(|_| BinaryHeaderError::CodeOutOfRange { code: command.code })?;
    let version =
        i16::try_from(command.version).map_err(|_| BinaryHeaderError::VersionOutOfRange {
            version: command.version,
        })?;
    let remark = command.remark.as_deref().unwrap_or_default();
    let remark_length = i32_length("remark", remark.len())?;
    let mut ext_length_bytes = 0usize;
    for (key, value) in encoded_entries(&command.ext_fields) {
        i16::try_from(key.len()).map_err(|_| BinaryHeaderError::TooLong {
            what: "ext key",
            length_bytes: key.len(),
            limit_bytes: i16::MAX.unsigned_abs().into(),
        })?;
        i32_length("ext value", value.len())?;
        let entry_length_bytes = [KEY_LENGTH_SIZE_BYTES, key.len(), VALUE_LENGTH_SIZE_BYTES]
            .into_iter()
            .try_fold(value.len(), usize::checked_add)
            .unwrap_or(usize::MAX);
        ext_length_bytes = ext_length_bytes.saturating_add(entry_length_bytes);
    }
    let ext_length = i32_length("ext fields", ext_length_bytes)?;
    Ok(BinaryLayout {
        code,
        version,
        remark_length,
        ext_length,
    })
}

fn i32_length(what: &'static str, length_bytes: usize) -> Result<i32, BinaryHeaderError> {
    i32::try_from(length_bytes).map_err(|_| BinaryHeaderError::TooLong {
        what,
        length_bytes,
        limit_bytes: i32::MAX.unsigned_abs().try_into().unwrap_or(usize::MAX),
    })
}

/// The entries that go on the wire: empty keys and values mean null and are skipped.
fn encoded_entries(ext_fields: &ExtFields) -> impl Iterator<Item = (&str, &str)> {
    ext_fields
        .iter()
        .filter(|(key, value)| !key.is_empty() && !value.is_empty())
        .map(|(key, value)| (key.as_str(), value.as_str()))
}

/// Whether `command` can be carried by a binary header.
///
/// # Errors
///
/// The first field that does not fit, see [`BinaryHeaderError`].
pub fn check_binary_header(command: &RemotingCommand) -> Result<(), BinaryHeaderError> {
    binary_layout(command).map(|_| ())
}

/// Appends the binary header of `command` (its body and serialize type are
/// not looked at) to `out`.
///
/// # Errors
///
/// [`BinaryHeaderError`] when a field does not fit; nothing is written then.
pub fn encode_binary_header(
    command: &RemotingCommand,
    out: &mut BytesMut,
) -> Result<(), BinaryHeaderError> {
    let layout = binary_layout(command)?;
    let length_before = out.len();
    out.put_i16(layout.code);
    out.put_u8(command.language.as_byte());
    out.put_i16(layout.version);
    out.put_i32(command.opaque);
    out.put_i32(command.flag);
    out.put_i32(layout.remark_length);
    out.put_slice(command.remark.as_deref().unwrap_or_default().as_bytes());
    out.put_i32(layout.ext_length);
    let ext_start = out.len();
    for (key, value) in encoded_entries(&command.ext_fields) {
        // Both lengths were checked by `binary_layout`.
        out.put_i16(i16::try_from(key.len()).unwrap_or(i16::MAX));
        out.put_slice(key.as_bytes());
        out.put_i32(i32::try_from(value.len()).unwrap_or(i32::MAX));
        out.put_slice(value.as_bytes());
    }
    let ext_written = out.len().saturating_sub(ext_start);
    assert_eq!(
        i32::try_from(ext_written),
        Ok(layout.ext_length),
        "ext length mismatch"
    );
    let header_written = out.len().saturating_sub(length_before);
    let header_expected = usize::try_from(layout.remark_length)
        .ok()
        .and_then(|remark| remark.checked_add(ext_written))
        .and_then(|variable| variable.checked_add(BINARY_HEADER_FIXED_SIZE_BYTES));
    assert_eq!(
        Some(header_written),
        header_expected,
        "binary header length mismatch"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(command: &RemotingCommand) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_binary_header(command, &mut out).unwrap();
        out.to_vec()
    }

    #[test]
    fn code_is_sign_extended_from_i16() {
        let mut bytes = encoded(&RemotingCommand::request(1));
        bytes[0] = 0xFF;
        bytes[1] = 0xFE;
        assert_eq!(decode_binary_header(&bytes).unwrap().code, -2);
    }

    #[test]
    fn codes_beyond_i16_are_refused_without_writing() {
        let command = RemotingCommand::request(200_050);
        let mut out = BytesMut::new();
        let err = encode_binary_header(&command, &mut out).unwrap_err();
        assert_eq!(err, BinaryHeaderError::CodeOutOfRange { code: 200_050 });
        assert!(out.is_empty());
        let err = check_binary_header(&RemotingCommand {
            version: 40_000,
            ..command
        });
        assert!(err.is_err());
    }

    #[test]
    fn empty_strings_are_null() {
        let command = RemotingCommand::request(1)
            .with_remark(Some(String::new()))
            .with_ext_field("", "v")
            .with_ext_field("k", "");
        let bytes = encoded(&command);
        assert_eq!(bytes.len(), BINARY_HEADER_FIXED_SIZE_BYTES);
        let header = decode_binary_header(&bytes).unwrap();
        assert_eq!(header.remark, None);
        assert!(header.ext_fields.is_empty());
    }

    #[test]
    fn repeated_keys_keep_the_last_value_and_empty_value_removes() {
        let mut bytes = encoded(&RemotingCommand::request(1));
        let mut ext = Vec::new();
        for (key, value) in [("a", "1"), ("b", "2"), ("a", "3"), ("b", ""), ("", "x")] {
            ext.extend_from_slice(&(key.len() as i16).to_be_bytes());
            ext.extend_from_slice(key.as_bytes());
            ext.extend_from_slice(&(value.len() as i32).to_be_bytes());
            ext.extend_from_slice(value.as_bytes());
        }
        bytes.truncate(17);
        bytes.extend_from_slice(&(ext.len() as i32).to_be_bytes());
        bytes.extend_from_slice(&ext);
        let header = decode_binary_header(&bytes).unwrap();
        assert_eq!(header.ext_fields.len(), 1);
        assert_eq!(header.ext_fields.get("a").map(String::as_str), Some("3"));
    }

    #[test]
    fn trailing_bytes_after_ext_region_are_ignored() {
        let mut bytes = encoded(&RemotingCommand::request(7).with_ext_field("k", "v"));
        let expected = decode_binary_header(&bytes).unwrap();
        bytes.extend_from_slice(b"junk");
        assert_eq!(decode_binary_header(&bytes).unwrap(), expected);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let mut bytes = encoded(&RemotingCommand::request(1).with_remark(Some("ab".into())));
        bytes[17] = 0xFF;
        let header = decode_binary_header(&bytes).unwrap();
        assert_eq!(header.remark.as_deref(), Some("\u{FFFD}b"));
    }
}
