//! One `PASS rust <scenario>` or `FAIL rust <scenario>  # reason` line per
//! scenario, printed and appended to the results file (the runner counts them).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Formats one result line; the reason is folded onto one line.
pub fn result_line(scenario: &str, failure: Option<&str>) -> String {
    match failure {
        None => format!("PASS rust {scenario}"),
        Some(reason) => {
            let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("FAIL rust {scenario}  # {reason}")
        }
    }
}

/// Prints `line` and appends it to `results` (if given). A results file that
/// cannot be written is reported on stderr: the line is still on stdout.
pub fn report(results: Option<&Path>, line: &str) {
    println!("{line}");
    let Some(path) = results else { return };
    let written = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{line}"));
    if let Err(error) = written {
        eprintln!("cannot append to {}: {error}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reason_is_folded_onto_one_line() {
        assert_eq!(result_line("send_sync", None), "PASS rust send_sync");
        assert_eq!(
            result_line("send_sync", Some("bad\n  thing")),
            "FAIL rust send_sync  # bad thing"
        );
    }
}
