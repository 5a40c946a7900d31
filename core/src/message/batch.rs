//! The SEND_BATCH_MESSAGE body (REMOTING.md §5.6): a concatenation of
//! entries, each encoded like this (big-endian):
//!
//! ```text
//! position  size  field
//!  0        i32   TOTALSIZE   this entry: 22 + body + properties
//!  4        i32   MAGICCODE   0 from clients, ignored
//!  8        i32   BODYCRC     0 from clients, ignored (the broker computes it
//!                             when it stores the record)
//! 12        i32   FLAG        user flag of this message
//! 16        i32   BODYLENGTH, then the body
//!           i16   PROPERTIESLENGTH, then the properties (properties.rs)
//! ```
//!
//! Java reads entries field by field and never checks TOTALSIZE; we require
//! it to equal the sum of the fields, so a corrupt length cannot make the
//! decoder skip or merge messages. Every client we know writes it exactly.

use bytes::BufMut;

use super::byte_reader::{non_negative_length, ByteReader};
use super::EncodeError;
use crate::DecodeError;

const I16_SIZE: usize = 2;
const I32_SIZE: usize = 4;

pub const TOTAL_SIZE_POSITION: usize = 0;
pub const MAGIC_POSITION: usize = TOTAL_SIZE_POSITION + I32_SIZE;
pub const BODY_CRC_POSITION: usize = MAGIC_POSITION + I32_SIZE;
pub const FLAG_POSITION: usize = BODY_CRC_POSITION + I32_SIZE;
pub const BODY_LENGTH_POSITION: usize = FLAG_POSITION + I32_SIZE;
/// Size of an entry with an empty body and no properties.
pub const ENTRY_FIXED_SIZE: usize = BODY_LENGTH_POSITION + I32_SIZE + I16_SIZE;
/// Longest property string of an entry (signed i16 length).
pub const ENTRY_PROPERTIES_LENGTH_MAX: usize = i16::MAX as usize;

const _: () = assert!(ENTRY_FIXED_SIZE == 22);

/// One message of a batch body, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEntry<'a> {
    pub flag: i32,
    pub body: &'a [u8],
    pub properties: &'a [u8],
}

impl BatchEntry<'_> {
    /// Bytes this entry takes in a batch body.
    ///
    /// # Errors
    /// [`EncodeError::TooLarge`] if the properties pass 32767 bytes or the
    /// entry `i32::MAX`.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        if self.properties.len() > ENTRY_PROPERTIES_LENGTH_MAX {
            return Err(EncodeError::TooLarge {
                what: "batch entry properties",
                length: self.properties.len() as u64,
                limit: ENTRY_PROPERTIES_LENGTH_MAX as u64,
            });
        }
        let total = ENTRY_FIXED_SIZE
            .checked_add(self.body.len())
            .and_then(|sum| sum.checked_add(self.properties.len()))
            .unwrap_or(usize::MAX);
        if total > i32::MAX as usize {
            return Err(EncodeError::TooLarge {
                what: "batch entry",
                length: total as u64,
                limit: i32::MAX as u64,
            });
        }
        Ok(total)
    }

    /// Appends this entry (MAGICCODE and BODYCRC 0, as clients send them).
    ///
    /// # Errors
    /// Those of [`BatchEntry::encoded_len`], and
    /// [`EncodeError::BufferTooSmall`]; nothing is written on error.
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), EncodeError> {
        let total = self.encoded_len()?;
        if out.remaining_mut() < total {
            return Err(EncodeError::BufferTooSmall {
                what: "batch entry",
                need: total,
                have: out.remaining_mut(),
            });
        }
        // Lengths were checked against i32::MAX and i16::MAX above.
        out.put_i32(total as i32);
        out.put_i32(0);
        out.put_i32(0);
        out.put_i32(self.flag);
        out.put_i32(self.body.len() as i32);
        out.put_slice(self.body);
        out.put_i16(self.properties.len() as i16);
        out.put_slice(self.properties);
        Ok(())
    }
}

/// Appends every entry, in order.
///
/// # Errors
/// As [`BatchEntry::encode`]; entries before the failing one stay written.
pub fn encode_batch<B: BufMut>(entries: &[BatchEntry], out: &mut B) -> Result<(), EncodeError> {
    for entry in entries {
        entry.encode(out)?;
    }
    Ok(())
}

/// Iterates over the entries of a batch body; stops after the first error.
pub fn decode_batch(body: &[u8]) -> BatchIter<'_> {
    BatchIter {
        reader: ByteReader::new(body),
        failed: false,
    }
}

/// Iterator of [`decode_batch`].
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    reader: ByteReader<'a>,
    failed: bool,
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<BatchEntry<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.remaining() == 0 {
            return None;
        }
        let entry = decode_entry(&mut self.reader);
        self.failed = entry.is_err();
        Some(entry)
    }
}

impl std::iter::FusedIterator for BatchIter<'_> {}

fn decode_entry<'a>(reader: &mut ByteReader<'a>) -> Result<BatchEntry<'a>, DecodeError> {
    let start = reader.position();
    let total_size = reader.i32("batch entry TOTALSIZE")?;
    let total_size = non_negative_length(
        i64::from(total_size),
        "batch entry TOTALSIZE",
        reader.remaining(),
    )?;
    let _magic = reader.i32("batch entry MAGICCODE")?;
    let _body_crc = reader.i32("batch entry BODYCRC")?;
    let flag = reader.i32("batch entry FLAG")?;
    let body_length = reader.i32("batch entry BODYLENGTH")?;
    let body_length = non_negative_length(
        i64::from(body_length),
        "batch entry body",
        reader.remaining(),
    )?;
    let body = reader.bytes(body_length, "batch entry body")?;
    let properties_length = reader.i16("batch entry PROPERTIESLENGTH")?;
    let properties_length = non_negative_length(
        i64::from(properties_length),
        "batch entry properties",
        reader.remaining(),
    )?;
    let properties = reader.bytes(properties_length, "batch entry properties")?;
    let consumed = reader.position().saturating_sub(start);
    if consumed != total_size {
        return Err(DecodeError::InvalidLength {
            what: "batch entry TOTALSIZE (differs from the sum of its fields)",
            length: total_size as i64,
            available: consumed as u64,
        });
    }
    assert!(consumed >= ENTRY_FIXED_SIZE);
    Ok(BatchEntry {
        flag,
        body,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_matches_hand_built_bytes() {
        let entry = BatchEntry {
            flag: 5,
            body: b"hi",
            properties: b"a\x01b\x02",
        };
        let mut out = Vec::new();
        entry.encode(&mut out).unwrap();
        let mut expected = Vec::new();
        expected.extend_from_slice(&28i32.to_be_bytes());
        expected.extend_from_slice(&[0; 8]);
        expected.extend_from_slice(&5i32.to_be_bytes());
        expected.extend_from_slice(&2i32.to_be_bytes());
        expected.extend_from_slice(b"hi");
        expected.extend_from_slice(&4i16.to_be_bytes());
        expected.extend_from_slice(b"a\x01b\x02");
        assert_eq!(out, expected);
        let decoded: Vec<_> = decode_batch(&out).collect();
        assert_eq!(decoded, vec![Ok(entry)]);
    }

    #[test]
    fn total_size_that_disagrees_with_fields_is_refused() {
        let entry = BatchEntry {
            flag: 0,
            body: b"x",
            properties: b"",
        };
        let mut out = Vec::new();
        entry.encode(&mut out).unwrap();
        out[3] = out[3].wrapping_add(1);
        let mut iter = decode_batch(&out);
        assert!(matches!(
            iter.next(),
            Some(Err(DecodeError::InvalidLength { .. }))
        ));
        assert_eq!(iter.next(), None);
    }

    #[test]
    fn negative_body_length_is_an_error() {
        let mut out = Vec::new();
        BatchEntry {
            flag: 0,
            body: b"",
            properties: b"",
        }
        .encode(&mut out)
        .unwrap();
        out[16..20].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(matches!(
            decode_batch(&out).next(),
            Some(Err(DecodeError::InvalidLength { length: -1, .. }))
        ));
    }
}
