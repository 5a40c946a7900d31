//! A bounds-checked big-endian cursor over a byte slice, shared by the record
//! and batch decoders. Every read names the field it reads so that the error
//! says what was cut short, where, and by how much.

use crate::DecodeError;

/// Reads big-endian fields from `buf`, advancing `position`; never panics.
#[derive(Debug, Clone)]
pub(crate) struct ByteReader<'a> {
    buf: &'a [u8],
    position: usize,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        ByteReader { buf, position: 0 }
    }

    /// Byte position of the next read, from the start of `buf`.
    pub(crate) fn position(&self) -> usize {
        self.position
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        // `position` never passes `buf.len()`: `bytes` only advances after a
        // successful `get`.
        self.buf.len().saturating_sub(self.position)
    }

    /// The next `count` bytes.
    pub(crate) fn bytes(
        &mut self,
        count: usize,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let eof = DecodeError::UnexpectedEof {
            what,
            position: self.position,
            need: count,
            have: self.remaining(),
        };
        let end = self
            .position
            .checked_add(count)
            .ok_or_else(|| eof.clone())?;
        let out = self.buf.get(self.position..end).ok_or(eof)?;
        self.position = end;
        debug_assert!(self.position <= self.buf.len());
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let slice = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub(crate) fn i8(&mut self, what: &'static str) -> Result<i8, DecodeError> {
        Ok(i8::from_be_bytes(self.array::<1>(what)?))
    }

    pub(crate) fn i16(&mut self, what: &'static str) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.array::<2>(what)?))
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array::<4>(what)?))
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array::<8>(what)?))
    }
}

/// A length field read as a signed integer, checked to be non-negative.
pub(crate) fn non_negative_length(
    length: i64,
    what: &'static str,
    available: usize,
) -> Result<usize, DecodeError> {
    usize::try_from(length).map_err(|_| DecodeError::InvalidLength {
        what,
        length,
        available: available as u64,
    })
}
