//! The default consume-queue tags code: Java `String.hashCode()` of the
//! record's TAGS property, sign-extended to i64, or 0 without a tag
//! (REMOTING.md §7), as `thrust_core::message::tags` computes it for
//! subscriptions. Called identically at append and at recovery.

use thrust_core::message::RecordView;

/// The default [`crate::config::TagsCodeFn`].
pub fn default_tags_code(record: &RecordView<'_>) -> i64 {
    thrust_core::message::tags::tags_code(record.properties_raw())
}
