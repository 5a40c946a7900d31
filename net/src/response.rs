//! A response as a handler produces it: a command whose body may be made of
//! several buffers (stored records sent without copying, §"Performance
//! rules" of DESIGN.md).

use bytes::Bytes;
use thrust_core::frame::RemotingCommand;

use crate::codec;

/// A response to send: `command` (its `body` first) followed by
/// `body_chunks`, all as one frame body. The connection sets the opaque and
/// the response flag.
#[derive(Debug, Clone)]
pub struct Response {
    /// Header fields and the first part of the body.
    pub command: RemotingCommand,
    /// More body bytes, sent after `command.body` with a vectored write.
    pub body_chunks: Vec<Bytes>,
}

impl Response {
    /// A response whose body is `command.body` alone.
    pub fn new(command: RemotingCommand) -> Self {
        Self {
            command,
            body_chunks: Vec::new(),
        }
    }

    /// A response whose body is `command.body` followed by `body_chunks`.
    pub fn with_chunks(command: RemotingCommand, body_chunks: Vec<Bytes>) -> Self {
        Self {
            command,
            body_chunks,
        }
    }

    /// REQUEST_CODE_NOT_SUPPORTED (3) with Java's remark
    /// `" request type <code> not supported"`.
    pub fn not_supported(request: &RemotingCommand) -> Self {
        Self::new(codec::not_supported(request))
    }

    /// Body length in bytes (`command.body` and every chunk); `None` on
    /// overflow, which no real body reaches.
    pub fn body_len_bytes(&self) -> Option<usize> {
        self.body_chunks
            .iter()
            .try_fold(self.command.body.len(), |sum, chunk| {
                sum.checked_add(chunk.len())
            })
    }
}

impl From<RemotingCommand> for Response {
    fn from(command: RemotingCommand) -> Self {
        Self::new(command)
    }
}
