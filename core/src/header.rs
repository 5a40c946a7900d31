//! Typed request and response headers (REMOTING.md §3, §4), to and from extFields.
