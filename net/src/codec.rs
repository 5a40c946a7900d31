//! The few frame operations `net` needs, on top of `thrust_core::frame`
//! (the codec itself lives in core, sans-IO).

use bytes::BytesMut;
use thrust_core::code::ResponseCode;
use thrust_core::frame::{self, RemotingCommand, FLAG_ONEWAY, FLAG_RESPONSE};
use thrust_core::DecodeError;

/// Largest frame body we send: the frame limit less room for the header.
pub const FRAME_BYTES_MAX: usize = frame::FRAME_LENGTH_MAX - 64 * 1024;

/// Takes the next whole frame off the front of `buf`, if one is there.
pub fn decode(buf: &mut BytesMut) -> Result<Option<RemotingCommand>, DecodeError> {
    frame::decode_frame_from(buf)
}

/// Appends the length prefix, header word and header of `command` for a body
/// of `body_len` bytes (the body itself is queued separately).
pub fn encode_head(command: &RemotingCommand, body_len: usize, out: &mut BytesMut) {
    command.encode_header_into(body_len, out);
}

/// Whether `command` is a response (flag bit 0).
pub fn is_response(command: &RemotingCommand) -> bool {
    command.is_response()
}

/// Whether `command` is a oneway request (flag bit 1).
pub fn is_oneway(command: &RemotingCommand) -> bool {
    command.is_oneway()
}

/// The command's code, for error messages.
pub fn code_of(command: &RemotingCommand) -> i32 {
    command.code
}

/// Makes `command` a request (not response, not oneway) with `opaque`.
pub fn mark_request(command: &mut RemotingCommand, opaque: i32) {
    command.flag &= !(FLAG_RESPONSE | FLAG_ONEWAY);
    command.opaque = opaque;
}

/// Makes `command` a oneway request with `opaque`.
pub fn mark_oneway_request(command: &mut RemotingCommand, opaque: i32) {
    mark_request(command, opaque);
    command.mark_oneway();
}

/// Makes `command` the response to the request with `opaque`.
pub fn mark_response(command: &mut RemotingCommand, opaque: i32) {
    command.flag = (command.flag | FLAG_RESPONSE) & !FLAG_ONEWAY;
    command.opaque = opaque;
}

/// REQUEST_CODE_NOT_SUPPORTED with Java's remark (REMOTING.md §1.8).
pub fn not_supported(request: &RemotingCommand) -> RemotingCommand {
    let remark = format!(" request type {} not supported", request.code);
    request.response_to(ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0, Some(remark))
}

/// SYSTEM_ERROR for the request with `opaque`.
pub fn system_error(opaque: i32, remark: &str) -> RemotingCommand {
    let mut response =
        RemotingCommand::response(ResponseCode::SYSTEM_ERROR.0, Some(remark.to_owned()));
    response.opaque = opaque;
    response
}
