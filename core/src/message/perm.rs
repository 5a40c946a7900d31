//! Topic permission bits (REMOTING.md §4.9, Java `PermName`). Normal topics
//! have `READ | WRITE` (6); TBW102 also has INHERIT (7), which marks it as
//! the template for auto-created topics.

pub const PERM_PRIORITY: i32 = 8;
pub const PERM_READ: i32 = 4;
pub const PERM_WRITE: i32 = 2;
pub const PERM_INHERIT: i32 = 1;

/// Permission of an ordinary topic.
pub const PERM_READ_WRITE: i32 = PERM_READ | PERM_WRITE;

const _: () = assert!(PERM_READ_WRITE == 6);

pub const fn is_readable(perm: i32) -> bool {
    perm & PERM_READ == PERM_READ
}

pub const fn is_writeable(perm: i32) -> bool {
    perm & PERM_WRITE == PERM_WRITE
}

pub const fn is_inherited(perm: i32) -> bool {
    perm & PERM_INHERIT == PERM_INHERIT
}

pub const fn is_priority(perm: i32) -> bool {
    perm & PERM_PRIORITY == PERM_PRIORITY
}

/// Java's `perm2String`: `R`, `W`, `X` (inherit) or `-` in three places.
pub fn perm_to_string(perm: i32) -> String {
    let mut text = String::with_capacity(3);
    text.push(if is_readable(perm) { 'R' } else { '-' });
    text.push(if is_writeable(perm) { 'W' } else { '-' });
    text.push(if is_inherited(perm) { 'X' } else { '-' });
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tbw102_perm_is_read_write_inherit() {
        assert_eq!(perm_to_string(7), "RWX");
        assert_eq!(perm_to_string(PERM_READ_WRITE), "RW-");
        assert_eq!(perm_to_string(PERM_WRITE), "-W-");
        assert!(!is_inherited(6) && is_inherited(7));
    }
}
