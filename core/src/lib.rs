//! # thrust-core
//!
//! Everything that crosses the wire between RocketMQ clients, name servers and
//! brokers, decoded and encoded without I/O: the remoting frame (JSON and
//! ROCKETMQ header encodings), request and response codes, typed headers, the
//! stored message record, properties, message ids, tag hashes and the JSON
//! bodies. It sits at the bottom of the crate graph: `net`, `storage`,
//! `broker`, `namesrv` and `bench` all depend on it, and it depends on none of
//! them. Because everything a peer sends is decoded here, every decoder is
//! fuzzed and never panics on input.
#![forbid(unsafe_code)]
// Decoders must never panic on peer input: outside tests, the lints below make
// `unwrap`, `expect`, slice indexing and unchecked arithmetic a build error, so
// every length read from the wire goes through `checked_*`/`get`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod body;
pub mod code;
pub mod error;
pub mod ext_fields;
pub mod frame;
pub mod header;
pub mod java_properties;
pub mod message;

pub use error::DecodeError;
pub use ext_fields::ExtFields;
