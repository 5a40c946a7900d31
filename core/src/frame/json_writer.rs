//! Compact, strict JSON output for headers (REMOTING.md §1.3, traps 24, 29): no
//! whitespace, every string escaped, integers in decimal. Written by hand rather
//! than through serde so that encoding a header is one pass with no allocation.

use bytes::{BufMut, BytesMut};

use super::json_fast::plain_run_end;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
const DECIMAL_DIGITS: &[u8; 10] = b"0123456789";
/// Digits of `u32::MAX` (4294967295): enough for the magnitude of any i32.
const I32_DIGITS_MAX: usize = 10;

/// Writes `value` as a JSON string literal. `"` and `\` are escaped, control
/// characters U+0000..U+001F become `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`
/// (message properties carry U+0001/U+0002); everything else, non-ASCII
/// included, is copied as UTF-8.
pub(super) fn write_json_string(out: &mut BytesMut, value: &str) {
    let bytes = value.as_bytes();
    out.reserve(bytes.len().saturating_add(2));
    out.put_u8(b'"');
    let mut run_start = 0;
    // Each turn copies a run of plain bytes and escapes the byte that ends
    // it, so `run_start` grows by at least one byte per turn.
    loop {
        let run_end = plain_run_end(bytes, run_start);
        out.put_slice(bytes.get(run_start..run_end).unwrap_or_default());
        let Some(&byte) = bytes.get(run_end) else {
            break;
        };
        let escape: [u8; 6];
        let escaped: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            _ => {
                escape = control_escape(byte);
                &escape
            }
        };
        // Escaped bytes are ASCII, so a run never splits a character.
        out.put_slice(escaped);
        run_start = run_end.saturating_add(1);
    }
    out.put_u8(b'"');
}

/// `\u00XX` for a control character.
fn control_escape(byte: u8) -> [u8; 6] {
    debug_assert!(byte < 0x20, "not a control character: {byte:#x}");
    let high = HEX_DIGITS
        .get(usize::from(byte / 16))
        .copied()
        .unwrap_or(b'0');
    let low = HEX_DIGITS
        .get(usize::from(byte % 16))
        .copied()
        .unwrap_or(b'0');
    [b'\\', b'u', b'0', b'0', high, low]
}

/// Writes `value` in decimal, with a leading `-` when negative.
pub(super) fn write_json_i32(out: &mut BytesMut, value: i32) {
    let mut digits = [0u8; I32_DIGITS_MAX];
    let mut digit_count = 0usize;
    let mut rest = value.unsigned_abs();
    for slot in digits.iter_mut().rev() {
        *slot = DECIMAL_DIGITS
            .get((rest % 10) as usize)
            .copied()
            .unwrap_or(b'0');
        digit_count = digit_count.saturating_add(1);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    assert_eq!(
        rest, 0,
        "i32 magnitude has more than {I32_DIGITS_MAX} digits"
    );
    if value < 0 {
        out.put_u8(b'-');
    }
    let first_digit = I32_DIGITS_MAX.saturating_sub(digit_count);
    out.put_slice(digits.get(first_digit..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_json(value: &str) -> String {
        let mut out = BytesMut::new();
        write_json_string(&mut out, value);
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn i32_json(value: i32) -> String {
        let mut out = BytesMut::new();
        write_json_i32(&mut out, value);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            string_json("TAGS\u{1}TagA\u{2}"),
            "\"TAGS\\u0001TagA\\u0002\""
        );
        assert_eq!(
            string_json("a\"b\\c\nd\r\te\u{8}\u{c}\u{1f}"),
            r#""a\"b\\c\nd\r\te\b\f\u001f""#
        );
    }

    #[test]
    fn non_ascii_is_copied_verbatim() {
        assert_eq!(string_json("主题/é"), "\"主题/é\"");
        assert_eq!(string_json(""), "\"\"");
    }

    #[test]
    fn escaped_strings_parse_back_with_serde_json() {
        let all_bytes: String = (0u32..0x80).filter_map(char::from_u32).collect();
        let parsed: String = serde_json::from_str(&string_json(&all_bytes)).unwrap();
        assert_eq!(parsed, all_bytes);
    }

    #[test]
    fn integers_are_written_in_decimal() {
        for value in [0, 1, -1, 9, 10, 479, -1000, i32::MAX, i32::MIN] {
            assert_eq!(i32_json(value), value.to_string());
        }
    }
}
