//! Java properties text: the `-c` configuration files of `thrust-namesrv`
//! and `thrust-broker` (RocketMQ's `broker.conf` format), and the bodies of
//! UPDATE/GET_NAMESRV_CONFIG and GET_BROKER_CONFIG (REMOTING.md §4.7).
//!
//! Supported: `key=value`, `key:value` and `key value`; `#` and `!`
//! comments; a trailing backslash continues a line; escapes `\t \n \r \f
//! \\ \= \: \uXXXX`. Keys keep their order of appearance; a repeated key
//! keeps its last value, as `java.util.Properties` does.

use std::fmt::Write;

/// Parses properties text into `(key, value)` pairs in file order.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        // An odd number of trailing backslashes continues the line.
        let trailing = line.chars().rev().take_while(|c| *c == '\\').count();
        if trailing % 2 == 1 {
            logical.push_str(line.strip_suffix('\\').unwrap_or(line));
            continue;
        }
        logical.push_str(line);
        let (key, value) = split_pair(&logical);
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(pair) => pair.1 = value,
            None => pairs.push((key, value)),
        }
        logical.clear();
    }
    if !logical.is_empty() {
        pairs.push(split_pair(&logical));
    }
    pairs
}

/// Splits one logical line at the first unescaped `=`, `:` or whitespace.
fn split_pair(line: &str) -> (String, String) {
    let mut key_end = line.len();
    let mut escaped = false;
    for (position, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || c.is_whitespace() {
            key_end = position;
            break;
        }
    }
    let (key, rest) = line.split_at_checked(key_end).unwrap_or((line, ""));
    let mut rest = rest.trim_start();
    if let Some(stripped) = rest.strip_prefix(['=', ':']) {
        rest = stripped.trim_start();
    }
    (unescape(key), unescape(rest.trim_end()))
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                out.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Writes pairs as properties text, one `key=value` per line, escaping
/// what `parse` would otherwise misread.
pub fn format(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        escape_into(&mut out, key, true);
        out.push('=');
        escape_into(&mut out, value, false);
        out.push('\n');
    }
    out
}

fn escape_into(out: &mut String, text: &str, is_key: bool) {
    for (position, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '=' | ':' if is_key => {
                out.push('\\');
                out.push(c);
            }
            ' ' if is_key || position == 0 => out.push_str("\\ "),
            '#' | '!' if position == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_comments_and_continuations_are_understood() {
        let text = "# comment\n! other\nlistenPort = 9877\nkvConfigPath:/tmp/kv.json\n\
                    a b\nlong=one\\\n    two\nlistenPort=9878\n";
        let pairs = parse(text);
        let expect = [
            ("listenPort", "9878"),
            ("kvConfigPath", "/tmp/kv.json"),
            ("a", "b"),
            ("long", "onetwo"),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expect);
    }

    #[test]
    fn format_then_parse_round_trips() {
        let pairs = vec![
            ("weird key=:".to_string(), " lead\\back\nslash".to_string()),
            ("plain".to_string(), "".to_string()),
        ];
        assert_eq!(parse(&format(&pairs)), pairs);
    }
}
