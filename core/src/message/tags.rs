//! Tag codes and tag subscriptions (REMOTING.md §7, traps 5).
//!
//! A consume-queue entry carries a *tags code*: Java `String.hashCode()` of
//! the message's whole `TAGS` value, computed over UTF-16 code units with
//! wrapping i32 arithmetic and sign-extended to i64, or 0 without a tag. A
//! TAG subscription (`"TagA || TagB"`, `"*"`) matches on those codes; hash
//! collisions are left to the client, which re-checks the exact tag string.
//! (Go clients hash UTF-8 bytes, so their codes are never trusted: we
//! recompute them from the tag strings.)

use super::properties::{find_property, PROPERTY_TAGS};

/// The subscription expression meaning "every message".
pub const SUB_ALL: &str = "*";
/// Separator of tags in a subscription expression.
pub const TAG_SEPARATOR: &str = "||";
/// Most tags one subscription may list; the rest are ignored. Bounds the
/// per-message match loop.
pub const SUBSCRIPTION_TAGS_MAX: usize = 1024;

/// Java `String.hashCode` of `tag`: `h = 31 * h + c` over UTF-16 code units,
/// wrapping. `"TagA"` = 2598919, `"*"` = 42, `"中文"` = 646394.
pub fn tag_hash(tag: &str) -> i32 {
    tag.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The consume-queue tags code of a message, from its encoded property
/// string: the hash of `TAGS`, or 0 when there is no (or an empty) tag.
pub fn tags_code(properties_raw: &[u8]) -> i64 {
    tags_code_of(find_property(properties_raw, PROPERTY_TAGS))
}

/// The tags code of a `TAGS` value (Java `tagsString2tagsCode`).
pub fn tags_code_of(tags: Option<&str>) -> i64 {
    match tags {
        Some(tags) if !tags.is_empty() => i64::from(tag_hash(tags)),
        _ => 0,
    }
}

/// A parsed TAG subscription (Java `FilterAPI.buildSubscriptionData`): an
/// empty expression or exactly `*` subscribes to everything; otherwise the
/// expression is split on `||`, each part trimmed, empty parts dropped.
/// `tags` and `codes` keep first-seen order without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionFilter {
    pub all: bool,
    pub tags: Vec<String>,
    pub codes: Vec<i32>,
}

impl SubscriptionFilter {
    /// Parses a subscription expression. Never fails: Java accepts any
    /// string, and one listing only empty tags (`"||"`) matches nothing.
    pub fn parse(expression: &str) -> Self {
        if expression.is_empty() || expression == SUB_ALL {
            return SubscriptionFilter::all();
        }
        let mut filter = SubscriptionFilter {
            all: false,
            tags: Vec::new(),
            codes: Vec::new(),
        };
        let parts = expression
            .split(TAG_SEPARATOR)
            .map(str::trim)
            .filter(|tag| !tag.is_empty());
        for tag in parts.take(SUBSCRIPTION_TAGS_MAX) {
            if !filter.tags.iter().any(|known| known == tag) {
                filter.tags.push(tag.to_owned());
            }
            let code = tag_hash(tag);
            if !filter.codes.contains(&code) {
                filter.codes.push(code);
            }
        }
        assert!(filter.codes.len() <= filter.tags.len());
        filter
    }

    /// The filter that matches every message.
    pub fn all() -> Self {
        SubscriptionFilter {
            all: true,
            tags: Vec::new(),
            codes: Vec::new(),
        }
    }

    /// Broker-side match on a consume-queue tags code: `*`, or the code
    /// (truncated to i32, as Java compares `(int) tagsCode`) is listed.
    pub fn matches(&self, tags_code: i64) -> bool {
        // Truncation is the protocol's: codes are i32 hashes sign-extended.
        self.all || self.codes.contains(&(tags_code as i32))
    }

    /// Client-side match on the exact tag string, which resolves hash
    /// collisions; a message without a tag only matches `*`.
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        if self.all {
            return true;
        }
        tag.is_some_and(|tag| self.tags.iter().any(|known| known == tag))
    }

    /// The expression in canonical form: `*`, or the tags joined by `||`.
    pub fn expression(&self) -> String {
        if self.all {
            return SUB_ALL.to_owned();
        }
        self.tags.join(TAG_SEPARATOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_hash_matches_java_string_hash_code() {
        assert_eq!(tag_hash("TagA"), 2_598_919);
        assert_eq!(tag_hash("*"), 42);
        assert_eq!(tag_hash("中文"), 646_394);
        assert_eq!(tag_hash(""), 0);
        // Java: "hello world".hashCode() == 1794106052, and a wrapping one.
        assert_eq!(tag_hash("hello world"), 1_794_106_052);
        assert_eq!(tag_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn surrogate_pair_hashes_both_code_units() {
        // U+1F600 is the UTF-16 pair D83D DE00: 31 * 0xD83D + 0xDE00.
        assert_eq!(tag_hash("😀"), 31 * 0xD83D + 0xDE00);
        assert_eq!(tag_hash("😀"), 1_772_899);
    }

    #[test]
    fn tags_code_reads_the_tags_property_or_zero() {
        assert_eq!(tags_code(b"KEYS\x01k\x02TAGS\x01TagA\x02"), 2_598_919);
        assert_eq!(tags_code(b"KEYS\x01k\x02"), 0);
        assert_eq!(tags_code_of(Some("")), 0);
        // Negative hashes are sign-extended into the i64 code.
        assert_eq!(
            tags_code_of(Some("polygenelubricants")),
            i64::from(i32::MIN)
        );
    }

    #[test]
    fn empty_or_star_expression_subscribes_to_all() {
        for expression in ["", "*"] {
            let filter = SubscriptionFilter::parse(expression);
            assert!(filter.all);
            assert!(filter.matches(0) && filter.matches(12345));
            assert!(filter.matches_tag(None));
            assert_eq!(filter.expression(), "*");
        }
    }

    #[test]
    fn tag_list_is_split_trimmed_and_deduplicated() {
        let filter = SubscriptionFilter::parse(" TagA ||TagB|| ||TagA");
        assert!(!filter.all);
        assert_eq!(filter.tags, vec!["TagA", "TagB"]);
        assert_eq!(filter.codes, vec![tag_hash("TagA"), tag_hash("TagB")]);
        assert!(filter.matches(i64::from(tag_hash("TagB"))));
        assert!(!filter.matches(0), "untagged messages only match *");
        assert!(!filter.matches(i64::from(tag_hash("TagC"))));
        assert!(filter.matches_tag(Some("TagA")));
        assert!(!filter.matches_tag(None));
        assert_eq!(filter.expression(), "TagA||TagB");
    }

    #[test]
    fn only_separators_match_nothing() {
        let filter = SubscriptionFilter::parse("||");
        assert!(!filter.all && filter.tags.is_empty());
        assert!(!filter.matches(0) && !filter.matches(42));
    }

    #[test]
    fn matches_compares_the_low_32_bits_of_the_code() {
        let filter = SubscriptionFilter::parse("TagA");
        let code = i64::from(tag_hash("TagA")) | (1 << 40);
        assert!(filter.matches(code));
    }
}
