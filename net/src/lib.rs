//! thrust-net (being built).
#![forbid(unsafe_code)]
