//! `extFields`: the string-to-string map that carries a command's custom
//! header (REMOTING.md §1.7). Kept sorted so that encoding is deterministic
//! (fastjson also writes keys in order).

use std::collections::BTreeMap;

/// The custom header of a remoting command.
pub type ExtFields = BTreeMap<String, String>;
