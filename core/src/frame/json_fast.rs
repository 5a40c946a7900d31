//! A single-pass decoder for the JSON header shape that clients actually send
//! (REMOTING.md §1.3), tried before the serde decoder in `json_header`.
//!
//! The shape it reads: one flat object whose members are `code`, `language`,
//! `version`, `opaque`, `flag`, `remark`, `extFields` and any others, where
//!
//! - `code`, `version`, `opaque`, `flag` are `null`, an integer of at most
//!   [`NUMBER_DIGITS_MAX`] digits, or a decimal string without escapes;
//! - `language` is `null`, a name without escapes, or an integer;
//! - `remark` is `null` or a string;
//! - `extFields` is `null` or an object of string keys to string or `null`
//!   values;
//! - any other member is a string, an integer, `true`, `false` or `null`;
//!
//! with any JSON whitespace between tokens, members in any order, and a
//! repeated member keeping its last value (as serde does). Strings may carry
//! every JSON escape, `\uXXXX` surrogate pairs included.
//!
//! Anything else (non-UTF-8 input, nested values, floats, `-0`, an escaped
//! top-level key, a lone surrogate, ...) makes [`decode_json_header_fast`]
//! return `None`, and the caller falls back to serde. The contract, checked by
//! the differential proptest in `json_fast/tests.rs`, is one-sided: whatever
//! this decoder accepts, serde accepts too and decodes to the same
//! [`HeaderFields`]; refusing is always safe. That is why every rule above errs
//! on the side of refusing: serde reads `-0` as a float (an error for
//! `language`), and 19-digit integers may leave the u64/i64 range.
//!
//! Allocation: only the output strings (`remark`, extFields keys and values)
//! and the map's nodes. Strings without escapes are copied straight out of the
//! input; the input is checked for UTF-8 once, so those copies need no
//! second check.

use super::HeaderFields;
use crate::code::LanguageCode;
use crate::ExtFields;

/// Most decimal digits read in a JSON number. Any 18-digit magnitude fits in
/// an i64 (and in serde's u64/i64), so nothing read here can overflow.
const NUMBER_DIGITS_MAX: usize = 18;
const _: () = assert!(10_i64.checked_pow(NUMBER_DIGITS_MAX as u32).is_some());

/// Hex digits of a `\uXXXX` escape.
const UNICODE_ESCAPE_DIGITS: usize = 4;
/// Bytes of a `\uXXXX` escape after its backslash: `u` and the hex digits.
const UNICODE_ESCAPE_SIZE_BYTES: usize = 1 + UNICODE_ESCAPE_DIGITS;
/// Bytes of a surrogate pair `\uD83D\uDE00` after its first backslash.
const SURROGATE_PAIR_SIZE_BYTES: usize = 2 * UNICODE_ESCAPE_SIZE_BYTES + 1;
const _: () = assert!(SURROGATE_PAIR_SIZE_BYTES == 11);

/// Decodes `bytes` as a JSON header if it has the common shape described in
/// the module docs, exactly as `decode_json_header_serde` would; `None` when
/// it does not (which includes every input serde rejects).
pub(super) fn decode_json_header_fast(bytes: &[u8]) -> Option<HeaderFields> {
    // One UTF-8 check up front makes every slice between quotes a `&str`.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut cursor = Cursor { text, position: 0 };
    let mut code = None;
    let mut header = HeaderFields::java_defaults();
    cursor.skip_whitespace();
    cursor.expect(b'{')?;
    cursor.skip_whitespace();
    if !cursor.eat(b'}') {
        // Each member consumes at least its key's two quotes, so the loop
        // ends within `bytes.len() / 2` turns.
        loop {
            cursor.member(&mut code, &mut header)?;
            if !cursor.object_continues()? {
                break;
            }
        }
    }
    cursor.skip_whitespace();
    if cursor.position != text.len() {
        return None;
    }
    header.code = code?;
    Some(header)
}

/// A JSON string as found in the input: its text between the quotes, and
/// whether that text holds escapes (and so differs from the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonString<'a> {
    /// No backslash: the text is the value.
    Plain(&'a str),
    /// At least one backslash: [`unescape`] the text to get the value.
    Escaped(&'a str),
}

impl JsonString<'_> {
    /// The value as an owned string; `None` if an escape is invalid.
    fn into_owned(self) -> Option<String> {
        match self {
            JsonString::Plain(text) => Some(text.to_owned()),
            JsonString::Escaped(text) => unescape(text),
        }
    }
}

/// A read position in the header text. `position` only moves forward and
/// never past `text.len()`.
struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.position).copied()
    }

    /// Moves past one byte that `peek` has just returned.
    fn advance_one(&mut self) {
        debug_assert!(self.position < self.text.len(), "advance past the end");
        self.position = self.position.saturating_add(1);
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.advance_one();
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// The four whitespace bytes of JSON (serde_json accepts no others).
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.advance_one();
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        assert!(!word.is_empty(), "empty literal");
        let end = self.position.checked_add(word.len())?;
        if self.text.as_bytes().get(self.position..end)? != word {
            return None;
        }
        self.position = end;
        Some(())
    }

    /// After a member or entry: `,` (more follow) or `}` (the object ends).
    fn object_continues(&mut self) -> Option<bool> {
        self.skip_whitespace();
        match self.peek()? {
            b',' => {
                self.advance_one();
                self.skip_whitespace();
                Some(true)
            }
            b'}' => {
                self.advance_one();
                Some(false)
            }
            _ => None,
        }
    }

    /// `"key"`, `:` and the value of one header member, stored into `header`
    /// (or `code`, which has no default).
    fn member(&mut self, code: &mut Option<i32>, header: &mut HeaderFields) -> Option<()> {
        // Top-level keys are plain ASCII in practice; an escaped one is left to serde.
        let JsonString::Plain(key) = self.string()? else {
            return None;
        };
        self.skip_whitespace();
        self.expect(b':')?;
        self.skip_whitespace();
        match key {
            "code" => *code = self.lenient_i32()?,
            "language" => header.language = self.language()?,
            "version" => header.version = self.lenient_i32()?.unwrap_or(0),
            "opaque" => header.opaque = self.lenient_i32()?.unwrap_or(0),
            "flag" => header.flag = self.lenient_i32()?.unwrap_or(0),
            "remark" => header.remark = self.remark()?,
            "extFields" => header.ext_fields = self.ext_fields()?,
            _ => self.skip_scalar()?,
        }
        Some(())
    }

    /// A string starting at the cursor (which must be on its opening quote).
    /// Raw control characters are refused, as JSON requires; escapes are only
    /// noted here and checked by [`unescape`].
    fn string(&mut self) -> Option<JsonString<'a>> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.position) != Some(&b'"') {
            return None;
        }
        let start = self.position.checked_add(1)?;
        let mut end = start;
        let mut escaped = false;
        // Each turn moves `end` forward by at least one byte, and a turn that
        // passes the end of the input returns `None`.
        loop {
            end = plain_run_end(bytes, end);
            match *bytes.get(end)? {
                b'"' => break,
                // The escaped byte cannot end the string, even if it is `"`.
                b'\\' => {
                    escaped = true;
                    end = end.checked_add(2)?;
                }
                // A raw control character.
                _ => return None,
            }
        }
        // `start` and `end` sit next to ASCII quotes: char boundaries.
        let text = self.text.get(start..end)?;
        self.position = end.checked_add(1)?;
        debug_assert!(self.position <= self.text.len());
        Some(if escaped {
            JsonString::Escaped(text)
        } else {
            JsonString::Plain(text)
        })
    }

    /// A JSON integer: `-?(0|[1-9][0-9]*)`, at most [`NUMBER_DIGITS_MAX`]
    /// digits, not followed by a fraction or exponent, and not `-0`.
    fn integer(&mut self) -> Option<i64> {
        let negative = self.eat(b'-');
        let rest = self.text.as_bytes().get(self.position..)?;
        let digit_count = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if digit_count == 0 || digit_count > NUMBER_DIGITS_MAX {
            return None;
        }
        let digits = rest.get(..digit_count)?;
        if digit_count > 1 && digits.first() == Some(&b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = rest.get(digit_count) {
            return None;
        }
        let magnitude = digits.iter().try_fold(0_i64, |value, &digit| {
            value
                .checked_mul(10)?
                .checked_add(i64::from(digit.checked_sub(b'0')?))
        })?;
        // serde_json reads `-0` as the float -0.0, which not every field takes.
        if negative && magnitude == 0 {
            return None;
        }
        self.position = self.position.checked_add(digit_count)?;
        if negative {
            magnitude.checked_neg()
        } else {
            Some(magnitude)
        }
    }

    /// `code`, `version`, `opaque` or `flag`: `Some(None)` for `null`.
    fn lenient_i32(&mut self) -> Option<Option<i32>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| None),
            // The same trim and parse as serde's `LenientI32::visit_str`.
            b'"' => match self.string()? {
                JsonString::Plain(text) => text.trim().parse::<i32>().ok().map(Some),
                JsonString::Escaped(_) => None,
            },
            _ => i32::try_from(self.integer()?).ok().map(Some),
        }
    }

    /// A language name or number; `null` means JAVA (trap 13).
    fn language(&mut self) -> Option<LanguageCode> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| LanguageCode::Java),
            b'"' => match self.string()? {
                JsonString::Plain(name) => {
                    Some(LanguageCode::from_name(name).unwrap_or(LanguageCode::Other))
                }
                JsonString::Escaped(_) => None,
            },
            // Negative numbers and numbers past a byte are OTHER, as in serde's visitor.
            _ => Some(match u8::try_from(self.integer()?) {
                Ok(byte) => LanguageCode::from_byte(byte),
                Err(_) => LanguageCode::Other,
            }),
        }
    }

    fn remark(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| None),
            b'"' => self.string()?.into_owned().map(Some),
            _ => None,
        }
    }

    /// `extFields`: `null` (empty) or an object whose values are strings, or
    /// `null` to remove the key (fastjson's `HashMap.put(key, null)`).
    fn ext_fields(&mut self) -> Option<ExtFields> {
        let mut fields = ExtFields::new();
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| fields);
        }
        self.expect(b'{')?;
        self.skip_whitespace();
        if self.eat(b'}') {
            return Some(fields);
        }
        // Each entry consumes at least four quotes or a key and `null`.
        loop {
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            if self.peek()? == b'n' {
                self.literal(b"null")?;
                match key {
                    JsonString::Plain(key) => fields.remove(key),
                    JsonString::Escaped(_) => fields.remove(&key.into_owned()?),
                };
            } else {
                let key = key.into_owned()?;
                let value = self.string()?.into_owned()?;
                fields.insert(key, value);
            }
            if !self.object_continues()? {
                break;
            }
        }
        Some(fields)
    }

    /// The value of a member that is not read: kept only if serde surely
    /// skips it without error.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => match self.string()? {
                JsonString::Plain(_) => Some(()),
                // Stricter than serde, which skips lone surrogates here: safe.
                JsonString::Escaped(text) => escapes_are_valid(text).then_some(()),
            },
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            _ => self.integer().map(drop),
        }
    }
}

/// `0x01` in every byte of a word, for the byte-parallel tests below.
const BYTES_ONE: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte of a word.
const BYTES_HIGH_BIT: u64 = 0x8080_8080_8080_8080;
const BYTES_QUOTE: u64 = 0x2222_2222_2222_2222;
const BYTES_BACKSLASH: u64 = 0x5C5C_5C5C_5C5C_5C5C;
/// The first byte that is not a control character: `0x20` in every byte.
const BYTES_SPACE: u64 = 0x2020_2020_2020_2020;
const WORD_SIZE_BYTES: usize = 8;
const _: () = assert!(BYTES_QUOTE == BYTES_ONE * b'"' as u64);
const _: () = assert!(BYTES_BACKSLASH == BYTES_ONE * b'\\' as u64);
const _: () = assert!(BYTES_SPACE == BYTES_ONE * b' ' as u64);
const _: () = assert!(BYTES_HIGH_BIT == BYTES_ONE * 0x80);

/// The first position at or after `position` whose byte cannot stand in a
/// string as it is (`"`, `\` or a control character), or `bytes.len()` if
/// there is none (also when `position` is past the end). Looks at eight bytes at a time, since string values are most of a header;
/// the JSON writer uses it too, to find the bytes it must escape.
pub(super) fn plain_run_end(bytes: &[u8], mut position: usize) -> usize {
    // Each turn either returns or moves eight bytes closer to the end.
    loop {
        let rest = bytes.get(position..).unwrap_or_default();
        let Some(word) = rest.first_chunk::<WORD_SIZE_BYTES>() else {
            // Fewer than eight bytes left.
            let offset = rest.iter().position(|&byte| is_string_special(byte));
            return offset.map_or(bytes.len(), |offset| position.saturating_add(offset));
        };
        let special_bits = special_byte_bits(u64::from_le_bytes(*word));
        if special_bits != 0 {
            // Little-endian: byte `i` of the word is bits `8 * i ..= 8 * i + 7`.
            let index = special_bits.trailing_zeros() / u8::BITS;
            let position = position.saturating_add(usize::try_from(index).unwrap_or(0));
            debug_assert!(bytes
                .get(position)
                .is_some_and(|&byte| is_string_special(byte)));
            return position;
        }
        position = position.saturating_add(WORD_SIZE_BYTES);
    }
}

/// `"`, `\` or a control character.
fn is_string_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < b' '
}

/// The high bit of every byte of `word` that is `"`, `\` or below `0x20`,
/// by the classic "has zero byte" and "has byte less than n" tests (n <=
/// 0x80). Below the first special byte no subtraction borrows, so no bit is
/// set there, and the first special byte always sets its own: the lowest set
/// bit marks the first special byte. Bits above it may be false alarms caused
/// by a borrow, and are never looked at.
fn special_byte_bits(word: u64) -> u64 {
    let zero_bytes = |x: u64| x.wrapping_sub(BYTES_ONE) & !x & BYTES_HIGH_BIT;
    let below_space = word.wrapping_sub(BYTES_SPACE) & !word & BYTES_HIGH_BIT;
    zero_bytes(word ^ BYTES_QUOTE) | zero_bytes(word ^ BYTES_BACKSLASH) | below_space
}

/// The value of a string whose text holds escapes. Exactly serde_json's rules:
/// `\" \\ \/ \b \f \n \r \t \uXXXX`, a high surrogate only directly followed
/// by a `\u` low surrogate, no lone low surrogate; anything else is `None`.
fn unescape(text: &str) -> Option<String> {
    // Every escape is at least as long as the UTF-8 it stands for.
    let mut value = String::with_capacity(text.len());
    let mut rest = text;
    // The text has no raw `"` or control character (see `Cursor::string`),
    // so the first special byte is the next backslash.
    loop {
        let backslash = plain_run_end(rest.as_bytes(), 0);
        if backslash == rest.len() {
            break;
        }
        if rest.as_bytes().get(backslash) != Some(&b'\\') {
            return None;
        }
        value.push_str(rest.get(..backslash)?);
        let escape = rest.get(backslash.checked_add(1)?..)?;
        let (decoded, escape_size_bytes) = unescape_one(escape.as_bytes())?;
        value.push(decoded);
        rest = escape.get(escape_size_bytes..)?;
    }
    value.push_str(rest);
    debug_assert!(value.len() <= text.len(), "unescaping grew the text");
    Some(value)
}

/// Whether [`unescape`] would accept `text`, without building the value.
fn escapes_are_valid(text: &str) -> bool {
    let mut rest = text.as_bytes();
    // Each turn consumes at least a backslash and one byte.
    while let Some(backslash) = rest.iter().position(|&byte| byte == b'\\') {
        let escape = rest.get(backslash.saturating_add(1)..).unwrap_or_default();
        let Some((_, escape_size_bytes)) = unescape_one(escape) else {
            return false;
        };
        rest = escape.get(escape_size_bytes..).unwrap_or_default();
    }
    true
}

/// The char of the escape that starts `escape` (just past its backslash) and
/// how many bytes of `escape` it takes.
fn unescape_one(escape: &[u8]) -> Option<(char, usize)> {
    let decoded = match *escape.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unescape_unicode(escape),
        _ => return None,
    };
    Some((decoded, 1))
}

/// `uXXXX` or a surrogate pair `uD8xx\uDCxx`.
fn unescape_unicode(escape: &[u8]) -> Option<(char, usize)> {
    let high = hex_u16(escape.get(1..UNICODE_ESCAPE_SIZE_BYTES)?)?;
    match high {
        0xD800..=0xDBFF => {
            let second = escape.get(UNICODE_ESCAPE_SIZE_BYTES..SURROGATE_PAIR_SIZE_BYTES)?;
            let (marker, digits) = second.split_at_checked(2)?;
            if marker != b"\\u" {
                return None;
            }
            let low = hex_u16(digits)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let high_bits = u32::from(high.checked_sub(0xD800)?).checked_mul(0x400)?;
            let low_bits = u32::from(low.checked_sub(0xDC00)?);
            let scalar = high_bits.checked_add(low_bits)?.checked_add(0x1_0000)?;
            Some((char::from_u32(scalar)?, SURROGATE_PAIR_SIZE_BYTES))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(u32::from(high))?, UNICODE_ESCAPE_SIZE_BYTES)),
    }
}

/// Four hex digits, either case.
fn hex_u16(digits: &[u8]) -> Option<u16> {
    if digits.len() != UNICODE_ESCAPE_DIGITS {
        return None;
    }
    digits.iter().try_fold(0_u16, |value, &digit| {
        let nibble = char::from(digit).to_digit(16)?;
        Some(value.checked_mul(16)? | u16::try_from(nibble).ok()?)
    })
}

#[cfg(test)]
mod tests;
