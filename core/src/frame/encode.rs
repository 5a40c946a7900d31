//! Framing on the way out: length prefix, header word and header.

use bytes::{BufMut, BytesMut};

use super::{
    encode_binary_header, encode_json_header, RemotingCommand, SerializeType, FRAME_LENGTH_MAX,
    HEADER_LENGTH_MASK, HEADER_POSITION, HEADER_WORD_SIZE_BYTES, LENGTH_PREFIX_SIZE_BYTES,
    SERIALIZE_TYPE_SHIFT,
};

impl RemotingCommand {
    /// Appends the length prefix, the header word and the header of a frame
    /// whose body is `body_len` bytes; the caller then writes exactly that many
    /// body bytes (so `net` can send a body made of several storage buffers
    /// without copying it). `self.body` is not looked at.
    ///
    /// The header is encoded in `self.serialize_type`, except that a command the
    /// binary header cannot carry (a code or version outside i16, such as the
    /// POP codes) is written as JSON, which every client decodes.
    ///
    /// Callers keep frames within [`FRAME_LENGTH_MAX`] (peers refuse larger
    /// ones; checked by a debug assertion). A header over 16 MiB or a frame over
    /// `i32::MAX` bytes cannot be expressed on the wire and panics.
    pub fn encode_header_into(&self, body_len: usize, out: &mut BytesMut) {
        let frame_start = out.len();
        // Placeholders for the length prefix and the header word, patched below.
        out.put_u32(0);
        out.put_u32(0);
        let serialize_type = match self.serialize_type {
            SerializeType::RocketMq if encode_binary_header(self, out).is_ok() => {
                SerializeType::RocketMq
            }
            SerializeType::RocketMq | SerializeType::Json => {
                encode_json_header(self, out);
                SerializeType::Json
            }
        };
        let header_start = frame_start.saturating_add(HEADER_POSITION);
        let header_len = out.len().saturating_sub(header_start);
        let header_len_field = u32::try_from(header_len).unwrap_or(u32::MAX);
        assert!(
            header_len_field <= HEADER_LENGTH_MASK,
            "header of {header_len} bytes"
        );
        let frame_len = [HEADER_WORD_SIZE_BYTES, header_len]
            .into_iter()
            .try_fold(body_len, usize::checked_add)
            .and_then(|length| i32::try_from(length).ok());
        assert!(
            frame_len.is_some(),
            "frame of {header_len} header and {body_len} body bytes exceeds i32::MAX"
        );
        let frame_len = frame_len.unwrap_or(i32::MAX);
        debug_assert!(
            usize::try_from(frame_len).is_ok_and(|length| length <= FRAME_LENGTH_MAX),
            "frame length {frame_len} exceeds {FRAME_LENGTH_MAX}"
        );
        let type_bits = u32::from(serialize_type.as_byte()) << SERIALIZE_TYPE_SHIFT;
        let header_word = type_bits | header_len_field;
        let mut words = [0u8; LENGTH_PREFIX_SIZE_BYTES + HEADER_WORD_SIZE_BYTES];
        let (prefix, word) = words.split_at_mut(LENGTH_PREFIX_SIZE_BYTES);
        prefix.copy_from_slice(&frame_len.to_be_bytes());
        word.copy_from_slice(&header_word.to_be_bytes());
        assert!(
            header_start <= out.len(),
            "placeholders at {frame_start} lost"
        );
        if let Some(slot) = out.get_mut(frame_start..header_start) {
            slot.copy_from_slice(&words);
        }
    }

    /// Appends the whole frame: header as in
    /// [`encode_header_into`](Self::encode_header_into), then `self.body`.
    pub fn encode_into(&self, out: &mut BytesMut) {
        out.reserve(
            self.body
                .len()
                .saturating_add(HEADER_POSITION)
                .saturating_add(128),
        );
        self.encode_header_into(self.body.len(), out);
        out.put_slice(&self.body);
    }

    /// The whole frame in a new buffer.
    pub fn encode(&self) -> BytesMut {
        let mut out = BytesMut::new();
        self.encode_into(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::frame::decode_frame;

    #[test]
    fn binary_request_with_code_beyond_i16_falls_back_to_json() {
        let command = RemotingCommand::request(200_050)
            .with_serialize_type(SerializeType::RocketMq)
            .with_opaque(9);
        let frame = command.encode();
        assert_eq!(frame[4], SerializeType::Json.as_byte());
        let (decoded, consumed) = decode_frame(&frame).unwrap().unwrap();
        assert_eq!(consumed, frame.len());
        assert_eq!(decoded.code, 200_050);
        assert_eq!(decoded.serialize_type, SerializeType::Json);
    }

    #[test]
    fn binary_command_with_key_too_long_for_i16_falls_back_to_json() {
        // U+FFFD replacement of 20000 invalid bytes yields a 60000-byte key.
        let key = "\u{FFFD}".repeat(20_000);
        let command = RemotingCommand::request(11)
            .with_serialize_type(SerializeType::RocketMq)
            .with_ext_field(key.clone(), "v");
        let frame = command.encode();
        assert_eq!(frame[4], SerializeType::Json.as_byte());
        let (decoded, _) = decode_frame(&frame).unwrap().unwrap();
        assert_eq!(decoded.ext_field(&key), Some("v"));
    }

    #[test]
    fn header_then_separate_body_equals_whole_frame() {
        let command = RemotingCommand::request(11)
            .with_ext_field("topic", "T")
            .with_body(Bytes::from_static(b"0123456789"));
        let mut split = BytesMut::new();
        command.encode_header_into(command.body.len(), &mut split);
        split.put_slice(b"0123");
        split.put_slice(b"456789");
        let mut whole = BytesMut::from(&b"bytes already in the buffer"[..]);
        let before = whole.len();
        command.encode_into(&mut whole);
        assert_eq!(&whole[before..], &split[..]);
        let prefix = u32::from_be_bytes(split[..4].try_into().unwrap());
        assert_eq!(usize::try_from(prefix).unwrap(), split.len() - 4);
    }
}
