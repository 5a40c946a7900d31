//! What the producer reads of a frame from the broker: code, opaque, flag.
//!
//! Frames are taken off the front of the receive buffer with core's frame
//! checks (length limit, header word) and core's header decoder.

use thrust_core::frame::{decode_frame, frame_bytes_needed, FLAG_RESPONSE};
use thrust_core::DecodeError;

/// The header members a sender needs of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub code: i32,
    pub opaque: i32,
    pub flag: i32,
}

impl Head {
    /// Whether the frame is a response (flag bit 0).
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }
}

/// The head of the frame at the front of `buffered` and the bytes it takes,
/// once the whole frame is there (`Ok(None)` before).
///
/// # Errors
/// Core's decode errors: a length prefix or header word no frame can have,
/// or a header that does not decode. The stream cannot be resynchronised
/// then; close the connection.
pub fn next_frame(buffered: &[u8]) -> Result<Option<(Head, usize)>, DecodeError> {
    let Some((command, used)) = decode_frame(buffered)? else {
        return Ok(None);
    };
    let head = Head {
        code: command.code,
        opaque: command.opaque,
        flag: command.flag,
    };
    Ok(Some((head, used)))
}

/// The bytes the frame at the front of `buffered` takes in all, prefix
/// included (`None` before its length prefix has arrived, or if invalid).
pub fn frame_total_bytes(buffered: &[u8]) -> Option<usize> {
    frame_bytes_needed(buffered)?.checked_add(buffered.len())
}

#[cfg(test)]
mod tests {
    use thrust_core::frame::{RemotingCommand, FRAME_LENGTH_MAX};

    use super::*;

    fn response_frame(opaque: i32, code: i32) -> Vec<u8> {
        let command = RemotingCommand::response(code, None)
            .with_opaque(opaque)
            .with_ext_field("msgId", "7F00000100002A9F0000000000000000")
            .with_ext_field("queueOffset", "12");
        command.encode().to_vec()
    }

    #[test]
    fn a_frame_is_taken_only_once_all_of_it_arrived() {
        let first = response_frame(5, 0);
        let mut stream = first.clone();
        stream.extend_from_slice(&response_frame(6, 2));
        for cut in 0..first.len() {
            assert_eq!(next_frame(&stream[..cut]).unwrap(), None, "cut at {cut}");
        }
        let (head, used) = next_frame(&stream).unwrap().unwrap();
        assert_eq!(used, first.len());
        assert_eq!(
            head,
            Head {
                code: 0,
                opaque: 5,
                flag: FLAG_RESPONSE
            }
        );
        assert!(head.is_response());
        let (head, _) = next_frame(&stream[used..]).unwrap().unwrap();
        assert_eq!((head.code, head.opaque), (2, 6));
    }

    #[test]
    fn frame_total_is_known_from_the_length_prefix() {
        let frame = response_frame(1, 0);
        assert_eq!(frame_total_bytes(&frame[..3]), None);
        assert_eq!(frame_total_bytes(&frame[..4]), Some(frame.len()));
        assert_eq!(frame_total_bytes(&frame), Some(frame.len()));
    }

    #[test]
    fn an_impossible_length_prefix_is_an_error() {
        let too_long = u32::try_from(FRAME_LENGTH_MAX + 1).unwrap().to_be_bytes();
        assert!(next_frame(&too_long).is_err());
        assert!(next_frame(&[0, 0, 0, 1, 0]).is_err());
    }

    #[test]
    fn a_request_from_the_peer_is_not_a_response() {
        let request = RemotingCommand::request(39).with_opaque(3).encode();
        let (head, _) = next_frame(&request).unwrap().unwrap();
        assert!(!head.is_response());
    }
}
