//! Command-line flags, spelled like the Go client's (`-namesrv 127.0.0.1:9876
//! -broker 127.0.0.1:10911 -results FILE`); `--flag` and `-flag=value` work too.

use std::path::PathBuf;

/// What the program was asked to run against.
#[derive(Debug, Clone)]
pub struct Args {
    /// Name server `host:port`.
    pub namesrv: String,
    /// Broker `host:port` (only reported; topics are created through the route of TBW102).
    pub broker: String,
    /// File the PASS/FAIL lines are appended to, if any.
    pub results: Option<PathBuf>,
}

/// A flag the program does not understand, or one without its value.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    #[error("unknown flag {0:?} (flags: -namesrv HOST:PORT -broker HOST:PORT -results FILE)")]
    Unknown(String),
    #[error("flag {0} needs a value")]
    MissingValue(String),
}

impl Args {
    /// Parses the flags after the program name.
    pub fn parse(mut flags: impl Iterator<Item = String>) -> Result<Args, ArgsError> {
        let mut args = Args {
            namesrv: "127.0.0.1:9876".to_string(),
            broker: "127.0.0.1:10911".to_string(),
            results: None,
        };
        while let Some(flag) = flags.next() {
            let bare = flag.trim_start_matches('-');
            let (name, inline_value) = match bare.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (bare, None),
            };
            if !matches!(name, "namesrv" | "broker" | "results") || !flag.starts_with('-') {
                return Err(ArgsError::Unknown(flag));
            }
            let value = match inline_value {
                Some(value) => value,
                None => flags
                    .next()
                    .ok_or_else(|| ArgsError::MissingValue(flag.clone()))?,
            };
            match name {
                "namesrv" => args.namesrv = value,
                "broker" => args.broker = value,
                _ => args.results = Some(PathBuf::from(value)),
            }
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<Args, ArgsError> {
        Args::parse(flags.iter().map(|s| s.to_string()))
    }

    #[test]
    fn go_style_flags_are_accepted() {
        let args = parse(&[
            "-namesrv",
            "127.0.0.1:1",
            "--broker=127.0.0.1:2",
            "-results",
            "/tmp/r",
        ]);
        let args = args.expect("valid flags");
        assert_eq!(args.namesrv, "127.0.0.1:1");
        assert_eq!(args.broker, "127.0.0.1:2");
        assert_eq!(args.results, Some(PathBuf::from("/tmp/r")));
    }

    #[test]
    fn unknown_flag_and_missing_value_are_errors() {
        assert!(matches!(parse(&["-nope", "x"]), Err(ArgsError::Unknown(_))));
        assert!(matches!(
            parse(&["-results"]),
            Err(ArgsError::MissingValue(_))
        ));
    }
}
