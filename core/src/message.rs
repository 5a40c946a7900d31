//! The stored message record and its parts (REMOTING.md §5, §6.1–6.3, §7).
//!
//! - [`record`]: the CommitLog record, byte for byte what a pull body carries:
//!   [`encode_record`], [`RecordView`] (zero-copy, validated), [`decode_records`]
//!   and [`record::patch_append_fields`].
//! - [`message_ext`]: [`MessageExt`], an owned decoded message (what a client sees).
//! - [`properties`]: the `name\x01value\x02` property string, [`Properties`] and
//!   the non-allocating [`properties::find_property`].
//! - [`msg_id`]: offset message ids and the `UNIQ_KEY` generator.
//! - [`batch`]: the SEND_BATCH_MESSAGE body.
//! - [`tags`]: Java `String.hashCode` tag codes and subscription filters.
//! - [`sys_flag`], [`perm`], [`topic`], [`delay_level`]: flag bits, permissions,
//!   topic and group names, delay levels.
//!
//! Everything here is sans-IO and decodes peer or disk bytes without panicking:
//! every length is checked before it is used. Decoders return the crate's
//! [`crate::DecodeError`]; encoders return [`EncodeError`].

pub mod batch;
mod byte_reader;
pub mod delay_level;
pub mod error;
pub mod message_ext;
pub mod msg_id;
pub mod perm;
pub mod properties;
pub mod record;
pub mod sys_flag;
pub mod tags;
pub mod topic;

pub use error::EncodeError;
pub use message_ext::MessageExt;
pub use properties::Properties;
pub use record::{decode_records, encode_record, encoded_len, RecordInput, RecordView};
