//! Delay levels (REMOTING.md §6.1, broker config `messageDelayLevel`).
//!
//! The config is a space-separated list of `<number><unit>` tokens, units
//! `s`, `m`, `h`, `d`; token i (from 1) is the delay of level i. A message
//! with `DELAY` = n waits the delay of level n: levels above the last are
//! clamped to it, and 0 or less means "not delayed".

use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

/// Java's default `messageDelayLevel`: 18 levels, 1 s to 2 h.
pub const DEFAULT_MESSAGE_DELAY_LEVEL: &str =
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
/// Most levels a config may list (the schedule topic has one queue per level).
pub const DELAY_LEVELS_MAX: usize = 1024;

/// Why a `messageDelayLevel` string is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DelayLevelError {
    #[error("messageDelayLevel is empty")]
    Empty,
    #[error("messageDelayLevel has {count} levels, at most {limit} are allowed")]
    TooManyLevels { count: usize, limit: usize },
    #[error("messageDelayLevel level {level}: bad token {token:?}: {reason}")]
    BadToken {
        level: usize,
        token: String,
        reason: &'static str,
    },
}

/// Parsed delay levels; level 1 is the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayLevels {
    delays: Vec<Duration>,
}

impl DelayLevels {
    /// Parses `"1s 5s 10s …"`; any run of whitespace separates tokens.
    ///
    /// # Errors
    /// [`DelayLevelError::BadToken`] naming the first bad token (unknown
    /// unit, missing or non-numeric count, overflow), or `Empty`/`TooManyLevels`.
    pub fn parse(text: &str) -> Result<Self, DelayLevelError> {
        let mut delays = Vec::new();
        for (index, token) in text.split_whitespace().enumerate() {
            let level = index.saturating_add(1);
            if level > DELAY_LEVELS_MAX {
                let count = text.split_whitespace().count();
                return Err(DelayLevelError::TooManyLevels {
                    count,
                    limit: DELAY_LEVELS_MAX,
                });
            }
            delays.push(parse_token(level, token)?);
        }
        if delays.is_empty() {
            return Err(DelayLevelError::Empty);
        }
        assert!(delays.len() <= DELAY_LEVELS_MAX);
        Ok(DelayLevels { delays })
    }

    /// The highest level (the number of levels), at least 1.
    pub fn max_level(&self) -> i32 {
        // At most DELAY_LEVELS_MAX levels.
        self.delays.len() as i32
    }

    /// The level a `DELAY` value maps to: `None` for 0 or less (not
    /// delayed), the last level for anything above it.
    pub fn clamp_level(&self, level: i32) -> Option<i32> {
        if level <= 0 {
            return None;
        }
        Some(level.min(self.max_level()))
    }

    /// The delay of `level` after clamping; `None` if not delayed.
    pub fn delay(&self, level: i32) -> Option<Duration> {
        let level = self.clamp_level(level)?;
        let index = usize::try_from(level).ok()?.checked_sub(1)?;
        self.delays.get(index).copied()
    }

    /// Delays of levels 1..=max, in order.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }
}

impl Default for DelayLevels {
    fn default() -> Self {
        // The default string is a constant that the tests parse.
        DelayLevels::parse(DEFAULT_MESSAGE_DELAY_LEVEL).unwrap_or(DelayLevels {
            delays: vec![Duration::from_secs(1)],
        })
    }
}

impl FromStr for DelayLevels {
    type Err = DelayLevelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DelayLevels::parse(text)
    }
}

fn parse_token(level: usize, token: &str) -> Result<Duration, DelayLevelError> {
    let bad = |reason| DelayLevelError::BadToken {
        level,
        token: token.to_owned(),
        reason,
    };
    let unit = token.chars().last().ok_or_else(|| bad("empty"))?;
    let unit_secs: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad("unit must be one of s, m, h, d")),
    };
    let count = token
        .get(..token.len().saturating_sub(1))
        .unwrap_or_default();
    if count.is_empty() || !count.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(bad("count must be a non-negative decimal number"));
    }
    let count: u64 = count.parse().map_err(|_| bad("count is too large"))?;
    let secs = count
        .checked_mul(unit_secs)
        .ok_or_else(|| bad("delay is too large"))?;
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_levels_are_java_defaults() {
        let levels = DelayLevels::default();
        assert_eq!(
            levels,
            DelayLevels::parse(DEFAULT_MESSAGE_DELAY_LEVEL).unwrap()
        );
        assert_eq!(levels.max_level(), 18);
        assert_eq!(levels.delay(1), Some(Duration::from_secs(1)));
        assert_eq!(levels.delay(3), Some(Duration::from_secs(10)));
        assert_eq!(levels.delay(5), Some(Duration::from_secs(60)));
        assert_eq!(levels.delay(18), Some(Duration::from_secs(7200)));
    }

    #[test]
    fn levels_above_max_clamp_and_non_positive_are_not_delayed() {
        let levels = DelayLevels::default();
        assert_eq!(levels.clamp_level(99), Some(18));
        assert_eq!(levels.delay(99), Some(Duration::from_secs(7200)));
        assert_eq!(levels.clamp_level(0), None);
        assert_eq!(levels.delay(-1), None);
    }

    #[test]
    fn days_and_extra_spaces_parse() {
        let levels: DelayLevels = "  2d  1h ".parse().unwrap();
        assert_eq!(
            levels.delays(),
            &[Duration::from_secs(172_800), Duration::from_secs(3600)]
        );
    }

    #[test]
    fn bad_token_is_named() {
        let err = DelayLevels::parse("1s 5x 10s").unwrap_err();
        assert_eq!(
            err,
            DelayLevelError::BadToken {
                level: 2,
                token: "5x".into(),
                reason: "unit must be one of s, m, h, d"
            }
        );
        assert!(err.to_string().contains("\"5x\""));
        for bad in ["s", "-1s", "1.5m", "99999999999999999999s", "1中"] {
            assert!(DelayLevels::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(DelayLevels::parse(" "), Err(DelayLevelError::Empty));
    }
}
