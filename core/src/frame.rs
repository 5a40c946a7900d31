//! The remoting frame (REMOTING.md §1): length prefix, header word, header, body.
//!
//! Every integer is big-endian (trap 1). One frame on the wire:
//!
//! ```text
//! position  size  field
//! 0         4     frame length  = 4 + H + B, the bytes that follow this field
//! 4         4     header word   = (serialize type << 24) | H   (trap 2: mask 0x00FFFFFF)
//! 8         H     header        JSON (type 0) or ROCKETMQ binary (type 1)
//! 8 + H     B     body          raw bytes, meaning depends on the code; may be empty
//! ```
//!
//! The codec is sans-IO. [`decode_frame`] and [`decode_frame_from`] take whatever
//! bytes have arrived and return `Ok(None)` until a whole frame is there; the
//! length limit ([`FRAME_LENGTH_MAX`]) and the header word are checked as soon as
//! their bytes arrive, so a hostile peer is refused before we buffer its frame.
//! [`RemotingCommand::encode_header_into`] writes everything but the body, so
//! `net` can send a body made of several storage buffers without copying it.
//!
//! Submodules: `command` (the decoded command and its builders), `json_header`
//! and `binary_header` (the two header encodings; `json_writer` escapes JSON
//! output), `encode` and `decode` (framing).
//!
//! Choices where REMOTING.md leaves room: the prefix is read as unsigned, so
//! a negative Java length is [`DecodeError::TooLarge`](crate::DecodeError); a
//! response mirrors its request's header type
//! ([`RemotingCommand::response_to`]); a command the binary header cannot carry
//! is sent as JSON ([`RemotingCommand::encode_header_into`]).

mod binary_header;
mod command;
mod decode;
mod encode;
mod json_fast;
mod json_header;
mod json_writer;

pub use binary_header::{
    check_binary_header, decode_binary_header, encode_binary_header, BinaryHeaderError,
    BINARY_HEADER_FIXED_SIZE_BYTES,
};
pub use command::{HeaderFields, RemotingCommand};
pub use decode::{decode_frame, decode_frame_from, frame_bytes_needed};
pub use json_header::{decode_json_header, encode_json_header};

/// Largest accepted value of the 4-byte length prefix (Java's
/// `com.rocketmq.remoting.frameMaxLength` default, on both sides). Note that
/// Java's Netty decoder counts the prefix itself against its limit, so a Java
/// peer refuses frames whose prefix exceeds `FRAME_LENGTH_MAX - 4`; keep what we
/// send well below either.
pub const FRAME_LENGTH_MAX: usize = 16 * 1024 * 1024;

/// Size of the length prefix at position 0.
pub const LENGTH_PREFIX_SIZE_BYTES: usize = 4;
/// Size of the header word that follows the length prefix.
pub const HEADER_WORD_SIZE_BYTES: usize = 4;
/// Position of the header word in a frame.
pub const HEADER_WORD_POSITION: usize = LENGTH_PREFIX_SIZE_BYTES;
/// Position of the header in a frame.
pub const HEADER_POSITION: usize = HEADER_WORD_POSITION + HEADER_WORD_SIZE_BYTES;
/// The low 24 bits of the header word hold the header length.
pub const HEADER_LENGTH_MASK: u32 = 0x00FF_FFFF;
/// The top byte of the header word holds the serialize type.
pub const SERIALIZE_TYPE_SHIFT: u32 = 24;

/// `flag` bit 0: the command is a response.
pub const FLAG_RESPONSE: i32 = 1;
/// `flag` bit 1: the request is oneway, the receiver must not answer (trap 10).
pub const FLAG_ONEWAY: i32 = 2;

const _: () = assert!(FRAME_LENGTH_MAX <= i32::MAX as usize);
// A header that fits in a frame always fits in the 24-bit header length.
const _: () = assert!(FRAME_LENGTH_MAX - HEADER_WORD_SIZE_BYTES <= HEADER_LENGTH_MASK as usize);
const _: () = assert!(FLAG_RESPONSE & FLAG_ONEWAY == 0);

/// How a command's header is encoded: the top byte of the header word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    /// Type 0: a JSON object (§1.3). What every client sends by default.
    #[default]
    Json,
    /// Type 1: the ROCKETMQ binary header (§1.4).
    RocketMq,
}

impl SerializeType {
    /// The type named by the top byte of a header word, or `None` for any
    /// other value (the frame is then undecodable).
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The byte that names this type in the header word.
    pub fn as_byte(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    /// The name Java uses (`serializeTypeCurrentRPC`).
    pub fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }
}
