//! The remoting frame (REMOTING.md §1): length prefix, JSON and ROCKETMQ headers, body.
