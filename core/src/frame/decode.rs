//! Framing on the way in: streaming decode from the front of a receive buffer.

use bytes::{Bytes, BytesMut};

use super::{
    decode_binary_header, decode_json_header, HeaderFields, RemotingCommand, SerializeType,
    FRAME_LENGTH_MAX, HEADER_LENGTH_MASK, HEADER_POSITION, HEADER_WORD_POSITION,
    HEADER_WORD_SIZE_BYTES, LENGTH_PREFIX_SIZE_BYTES, SERIALIZE_TYPE_SHIFT,
};
use crate::DecodeError;

/// Where the parts of a frame lie in the buffer, once its first 8 bytes are known.
#[derive(Debug, Clone, Copy)]
struct FrameLayout {
    serialize_type: SerializeType,
    /// Position of the body (= 8 + header length).
    body_start: usize,
    /// Bytes of the whole frame, length prefix included.
    total_len: usize,
}

/// The value of the length prefix, once its 4 bytes have arrived.
///
/// The limit is checked from the prefix alone, before the rest is buffered. The
/// prefix is read as unsigned, so a negative Java int (2 GiB and up) is "too large".
fn frame_length(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    let Some(prefix) = buf.get(..LENGTH_PREFIX_SIZE_BYTES) else {
        return Ok(None);
    };
    let prefix: [u8; LENGTH_PREFIX_SIZE_BYTES] = prefix
        .try_into()
        .map_err(|_| eof("frame length", 0, LENGTH_PREFIX_SIZE_BYTES, buf))?;
    let frame_len = u32::from_be_bytes(prefix);
    let too_large = DecodeError::TooLarge {
        what: "frame length",
        length: u64::from(frame_len),
        limit: u64::try_from(FRAME_LENGTH_MAX).unwrap_or(u64::MAX),
    };
    let frame_len = usize::try_from(frame_len).map_err(|_| too_large.clone())?;
    if frame_len > FRAME_LENGTH_MAX {
        return Err(too_large);
    }
    if frame_len < HEADER_WORD_SIZE_BYTES {
        return Err(DecodeError::InvalidLength {
            what: "frame length (must cover the header word)",
            length: i64::try_from(frame_len).unwrap_or(i64::MAX),
            available: u64::try_from(HEADER_WORD_SIZE_BYTES).unwrap_or(u64::MAX),
        });
    }
    Ok(Some(frame_len))
}

/// Checks everything the buffered bytes already say about the frame at the
/// front of `buf`; returns its layout once all of it has arrived.
fn frame_layout(buf: &[u8]) -> Result<Option<FrameLayout>, DecodeError> {
    let Some(frame_len) = frame_length(buf)? else {
        return Ok(None);
    };
    let Some(word) = buf.get(HEADER_WORD_POSITION..HEADER_POSITION) else {
        return Ok(None);
    };
    let word: [u8; HEADER_WORD_SIZE_BYTES] = word.try_into().map_err(|_| {
        eof(
            "header word",
            HEADER_WORD_POSITION,
            HEADER_WORD_SIZE_BYTES,
            buf,
        )
    })?;
    let word = u32::from_be_bytes(word);
    let type_byte = u8::try_from(word >> SERIALIZE_TYPE_SHIFT).unwrap_or(u8::MAX);
    let serialize_type = SerializeType::from_byte(type_byte).ok_or(DecodeError::UnknownMagic {
        what: "serialize type (top byte of the header word)",
        value: u32::from(type_byte),
    })?;
    let header_len = usize::try_from(word & HEADER_LENGTH_MASK).unwrap_or(usize::MAX);
    // `frame_length` guarantees frame_len >= 4.
    let header_len_max = frame_len.saturating_sub(HEADER_WORD_SIZE_BYTES);
    if header_len > header_len_max {
        return Err(DecodeError::InvalidLength {
            what: "header length",
            length: i64::try_from(header_len).unwrap_or(i64::MAX),
            available: u64::try_from(header_len_max).unwrap_or(u64::MAX),
        });
    }
    let total_len = frame_len.saturating_add(LENGTH_PREFIX_SIZE_BYTES);
    if buf.len() < total_len {
        return Ok(None);
    }
    let body_start = header_len.saturating_add(HEADER_POSITION);
    assert!(
        body_start <= total_len,
        "body at {body_start} past frame end {total_len}"
    );
    Ok(Some(FrameLayout {
        serialize_type,
        body_start,
        total_len,
    }))
}

fn eof(what: &'static str, position: usize, need: usize, buf: &[u8]) -> DecodeError {
    DecodeError::UnexpectedEof {
        what,
        position,
        need,
        have: buf.len().saturating_sub(position),
    }
}

fn decode_header(buf: &[u8], layout: FrameLayout) -> Result<HeaderFields, DecodeError> {
    let header = buf
        .get(HEADER_POSITION..layout.body_start)
        .ok_or_else(|| eof("header", HEADER_POSITION, layout.body_start, buf))?;
    match layout.serialize_type {
        SerializeType::Json => decode_json_header(header),
        SerializeType::RocketMq => decode_binary_header(header),
    }
}

/// How many more bytes `buf` needs before it holds the whole frame at its front
/// (0 once it does), or `None` while the length prefix has not fully arrived or
/// is invalid ([`decode_frame`] reports why).
pub fn frame_bytes_needed(buf: &[u8]) -> Option<usize> {
    let frame_len = frame_length(buf).ok().flatten()?;
    Some(
        frame_len
            .saturating_add(LENGTH_PREFIX_SIZE_BYTES)
            .saturating_sub(buf.len()),
    )
}

/// Decodes the frame at the front of `buf`, copying its body.
///
/// Returns `Ok(None)` while the frame is incomplete (see
/// [`frame_bytes_needed`]), and otherwise the command and the number of bytes
/// it took from `buf`. Bytes after the frame are left alone.
///
/// # Errors
///
/// [`DecodeError::TooLarge`] as soon as a length prefix over
/// [`FRAME_LENGTH_MAX`] arrives, [`DecodeError::InvalidLength`] for a prefix
/// under 4 or a header length beyond the frame, [`DecodeError::UnknownMagic`]
/// for a serialize type other than 0 or 1 (all three from the first 8 bytes,
/// before the rest arrives), and any error of the header decoders. The
/// connection should then be closed: the stream cannot be resynchronised.
pub fn decode_frame(buf: &[u8]) -> Result<Option<(RemotingCommand, usize)>, DecodeError> {
    let Some(layout) = frame_layout(buf)? else {
        return Ok(None);
    };
    let header = decode_header(buf, layout)?;
    let body = buf
        .get(layout.body_start..layout.total_len)
        .ok_or_else(|| eof("body", layout.body_start, layout.total_len, buf))?;
    let command = header.into_command(Bytes::copy_from_slice(body), layout.serialize_type);
    Ok(Some((command, layout.total_len)))
}

/// Decodes the frame at the front of `buf` and splits it off, without copying
/// the body: `body` becomes a [`Bytes`] slice of the received bytes.
///
/// Returns `Ok(None)` while the frame is incomplete; `buf` is then untouched.
/// A non-empty body keeps the receive allocation alive until it is dropped,
/// so the buffer's next `reserve` may allocate anew.
///
/// # Errors
///
/// As [`decode_frame`]; on error `buf` is left untouched.
pub fn decode_frame_from(buf: &mut BytesMut) -> Result<Option<RemotingCommand>, DecodeError> {
    let Some(layout) = frame_layout(buf)? else {
        return Ok(None);
    };
    let header = decode_header(buf, layout)?;
    assert!(
        layout.total_len <= buf.len(),
        "frame of {} past buffer",
        layout.total_len
    );
    let frame = buf.split_to(layout.total_len);
    let body = if layout.body_start < frame.len() {
        frame.freeze().slice(layout.body_start..)
    } else {
        Bytes::new()
    };
    Ok(Some(header.into_command(body, layout.serialize_type)))
}
