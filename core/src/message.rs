//! The stored message record and its parts (REMOTING.md §5, §7).
