//! Proves that the fast decoder never disagrees with serde: for every input,
//! `decode_json_header_fast` is either `None` or exactly what
//! `decode_json_header_serde` gives, and it is `None` whenever serde fails.
//!
//! Inputs come from three places: commands written by our encoder (the
//! generator of `tests/frame_round_trip.rs`, which must all take the fast path);
//! headers assembled token by token from valid and nasty pieces (escapes of
//! every form, unicode, whitespace between tokens, members in any order and
//! repeated, unknown members, numbers as strings, huge numbers, floats, `-0`,
//! nested values), then optionally truncated, extended with garbage or hit by
//! a byte change; and arbitrary bytes. A header assembled only from pieces the
//! fast path claims to read must also be accepted by it, so the property is
//! not satisfied by refusing everything. Hand-written cases pin the real
//! headers of the Java and Go clients and each refusal rule.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::frame::json_header::{decode_json_header_serde, encode_json_header};
use crate::frame::{RemotingCommand, SerializeType};

/// The contract. Returns the fast result so callers can demand acceptance.
fn check_agrees(bytes: &[u8]) -> Option<HeaderFields> {
    let fast = decode_json_header_fast(bytes);
    let shown = String::from_utf8_lossy(bytes);
    match decode_json_header_serde(bytes) {
        Ok(expected) => {
            if let Some(header) = &fast {
                assert_eq!(header, &expected, "fast and serde disagree on {shown:?}");
            }
        }
        Err(err) => assert_eq!(fast, None, "serde refused {shown:?} ({err})"),
    }
    fast
}

fn fast_path(text: &str) -> HeaderFields {
    match check_agrees(text.as_bytes()) {
        Some(header) => header,
        None => panic!("fast path refused {text:?}"),
    }
}

/// REMOTING.md §1.3 verbatim: a Java 5.3.3 producer, with the doc's line breaks.
const JAVA_SEND_V2: &str = concat!(
    r#"{"code":310,"extFields":{"a":"pg","b":"TopicTest","c":"TBW102","d":"4","e":"1","f":"0","#,
    "\n ",
    r#""g":"1732512000000","h":"0","#,
    r#""i":"TAGS\u0001TagA\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001C0A8...\u0002","#,
    "\n ",
    r#""j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":7,"#,
    "\n ",
    r#""serializeTypeCurrentRPC":"JSON","version":479}"#,
);

/// A Java 4.9 producer: same shape, `l` (maxReconsumeTimes) set, older version.
const JAVA_4_SEND_V2: &str = concat!(
    r#"{"code":310,"extFields":{"a":"please_rename_unique_group_name","b":"BenchmarkTest","#,
    r#""c":"TBW102","d":"4","e":"3","f":"0","g":"1732512000123","h":"0","#,
    r#""i":"KEYS\u000112345\u0002UNIQ_KEY\u00017F0000010B2C18B4AAC27E5F2A3B0000\u0002"#,
    r#"WAIT\u0001true\u0002TAGS\u0001TagA\u0002","#,
    r#""j":"0","k":"false","l":"16","m":"false","n":"broker-a"},"flag":0,"#,
    r#""language":"JAVA","opaque":123456,"serializeTypeCurrentRPC":"JSON","version":399}"#,
);

/// The Go client: its own member order, `remark:""`, every field sent.
const GO_PULL: &str = concat!(
    r#"{"code":11,"language":"GO","version":317,"opaque":3,"flag":0,"remark":"","#,
    r#""extFields":{"consumerGroup":"g","topic":"T","queueId":"0","queueOffset":"12","#,
    r#""maxMsgNums":"32","sysFlag":"6","commitOffset":"0","suspendTimeoutMillis":"20000","#,
    r#""subscription":"","subVersion":"0","expressionType":"TAG","bname":""}}"#,
);

#[test]
fn java_send_v2_requests_take_the_fast_path() {
    let header = fast_path(JAVA_SEND_V2);
    assert_eq!((header.code, header.version, header.opaque), (310, 479, 7));
    assert_eq!(header.language, LanguageCode::Java);
    assert_eq!(header.remark, None);
    assert_eq!(header.ext_fields.len(), 13);
    assert_eq!(
        header.ext_fields.get("i").map(String::as_str),
        Some("TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}UNIQ_KEY\u{1}C0A8...\u{2}")
    );
    let header = fast_path(JAVA_4_SEND_V2);
    assert_eq!((header.version, header.ext_fields.len()), (399, 14));
}

#[test]
fn go_client_header_takes_the_fast_path() {
    let header = fast_path(GO_PULL);
    assert_eq!((header.code, header.version), (11, 317));
    assert_eq!(header.language, LanguageCode::Go);
    assert_eq!(header.remark.as_deref(), Some(""));
    assert_eq!(header.ext_fields.get("bname").map(String::as_str), Some(""));
}

#[test]
fn every_escape_decodes_as_serde_does() {
    let header = fast_path(
        r#"{"code":1,"remark":"q\"b\\s\/b\bf\fn\nr\rt\t\u00e9\u4E3B\ud83d\ude00\uD83D\uDE00end"}"#,
    );
    assert_eq!(
        header.remark.as_deref(),
        Some("q\"b\\s/b\u{8}f\u{c}n\nr\rt\té主😀😀end")
    );
    let header = fast_path(r#"{"code":1,"extFields":{"k\u0001":"\u0000","":"主题"}}"#);
    assert_eq!(
        header.ext_fields.get("k\u{1}").map(String::as_str),
        Some("\0")
    );
    assert_eq!(header.ext_fields.get("").map(String::as_str), Some("主题"));
}

#[test]
fn lenient_members_take_the_fast_path() {
    let header = fast_path(
        " \r\n{ \"opaque\" : \" 7\u{3000}\" ,\"code\":\"-310\",\t\"flag\":null,\"language\":9,\
         \"version\":null,\"remark\":null,\"x\":true,\"y\":-5,\"z\":\"s\",\"w\":null} \n",
    );
    assert_eq!((header.code, header.opaque, header.flag), (-310, 7, 0));
    assert_eq!(header.language, LanguageCode::Go);
    assert_eq!(
        fast_path(r#"{"code":1,"language":300}"#).language,
        LanguageCode::Other
    );
    assert_eq!(
        fast_path(r#"{"code":1,"language":-3}"#).language,
        LanguageCode::Other
    );
    assert_eq!(
        fast_path(r#"{"code":1,"language":"COBOL"}"#).language,
        LanguageCode::Other
    );
    assert_eq!(
        fast_path(r#"{"code":1,"language":99}"#).language,
        LanguageCode::Unknown(99)
    );
    assert!(fast_path(r#"{"code":0,"extFields":null}"#)
        .ext_fields
        .is_empty());
    assert!(fast_path(r#"{"code":0,"extFields":{ }}"#)
        .ext_fields
        .is_empty());
}

#[test]
fn repeated_members_keep_their_last_value() {
    let header = fast_path(concat!(
        r#"{"code":1,"code":2,"extFields":{"gone":"x"},"extFields":{"a":"1","a":"2","#,
        r#""b":"x","b":null,"c\u0031":"y","c1":null},"remark":"r","remark":null}"#,
    ));
    assert_eq!(header.code, 2);
    assert_eq!(header.remark, None);
    assert_eq!(header.ext_fields.len(), 1);
    assert_eq!(header.ext_fields.get("a").map(String::as_str), Some("2"));
}

/// Inputs serde accepts but the fast path leaves to it.
#[test]
fn shapes_outside_the_fast_path_fall_back_to_serde() {
    for text in [
        r#"{"code":7.0}"#,
        r#"{"code":1e2}"#,
        r#"{"code":-0}"#,
        r#"{"code":"\u0031"}"#,
        r#"{"c\u006fde":1}"#,
        r#"{"code":1,"language":"J\u0041VA"}"#,
        r#"{"code":1,"remark":5}"#,
        r#"{"code":1,"extFields":{"a":5}}"#,
        r#"{"code":1,"extFields":{"a":true}}"#,
        r#"{"code":1,"extFields":{"a":{"b":[1]}}}"#,
        r#"{"code":1,"x":{"deep":[1,2]}}"#,
        r#"{"code":1,"x":[]}"#,
        r#"{"code":1,"x":1.5}"#,
        r#"{"code":1,"x":"\ud800"}"#,
        r#"{"code":1,"x":0.5e1}"#,
        r#"{"code":1,"x":1234567890123456789}"#,
    ] {
        assert_eq!(decode_json_header_fast(text.as_bytes()), None, "{text}");
        assert!(decode_json_header_serde(text.as_bytes()).is_ok(), "{text}");
    }
    let not_utf8 = b"{\"code\":1,\"remark\":\"a\xFFb\"}";
    assert_eq!(decode_json_header_fast(not_utf8), None);
    assert!(decode_json_header_serde(not_utf8).is_ok());
}

/// Inputs both decoders refuse.
#[test]
fn malformed_headers_are_refused() {
    for text in [
        "",
        " ",
        "{",
        "{}",
        "[]",
        "null",
        r#"{"opaque":1}"#,
        r#"{"code":null}"#,
        r#"{"code":1,}"#,
        r#"{,"code":1}"#,
        r#"{"code" 1}"#,
        r#"{"code":1 "flag":0}"#,
        r#"{"code":1} x"#,
        r#"{"code":1}}"#,
        r#"{"code":01}"#,
        r#"{"code":-}"#,
        r#"{"code":2147483648}"#,
        r#"{"code":"2147483648"}"#,
        r#"{"code":"1x"}"#,
        r#"{"code":true}"#,
        r#"{"code":1,"language":true}"#,
        r#"{"code":1,"language":-0}"#,
        r#"{"code":1,"x":nul}"#,
        "{\"code\":1,\"x\":\"a\u{1}\"}",
        "{\"code\":1,\"remark\":\"a\u{1}\"}",
        r#"{"code":1,"remark":"\ud800"}"#,
        r#"{"code":1,"remark":"\udc00\ud800"}"#,
        r#"{"code":1,"remark":"\ud800\u0041"}"#,
        r#"{"code":1,"remark":"\ud800\n"}"#,
        r#"{"code":1,"remark":"\x"}"#,
        r#"{"code":1,"remark":"\u12"}"#,
        r#"{"code":1,"remark":"\u12G4"}"#,
        r#"{"code":1,"remark":"abc"#,
        r#"{"code":1,"extFields":[]}"#,
        r#"{"code":1,"extFields":"x"}"#,
        r#"{"code":1,"extFields":{"a":"1",}}"#,
        r#"{"code":1,"extFields":{"a"}}"#,
    ] {
        assert_eq!(decode_json_header_fast(text.as_bytes()), None, "{text}");
        assert!(decode_json_header_serde(text.as_bytes()).is_err(), "{text}");
    }
}

#[test]
fn every_prefix_of_a_java_header_is_refused() {
    for end in 0..JAVA_SEND_V2.len() {
        assert_eq!(
            check_agrees(&JAVA_SEND_V2.as_bytes()[..end]),
            None,
            "prefix {end}"
        );
    }
}

// ---- Commands written by our encoder (generator of tests/frame_round_trip.rs). ----

fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        1 => prop::sample::select(vec!['\u{1}', '\u{2}', '"', '\\', '\n', '\u{0}', 'é', '主']),
        4 => prop::char::range('a', 'z'),
    ]
}

fn text(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(text_char(), 0..max_chars).prop_map(String::from_iter)
}

fn json_command() -> impl Strategy<Value = RemotingCommand> {
    let header = (
        any::<i32>(),
        any::<u8>(),
        any::<i32>(),
        any::<i32>(),
        any::<i32>(),
    );
    let ext_fields = prop::collection::btree_map(text(12), text(24), 0..8);
    (header, prop::option::of(text(40)), ext_fields).prop_map(
        |((code, language, version, opaque, flag), remark, ext_fields)| RemotingCommand {
            code,
            language: LanguageCode::from_byte(language),
            version,
            opaque,
            flag,
            remark,
            ext_fields,
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        },
    )
}

// ---- Headers assembled from pieces. Each piece is its JSON text and whether
// the fast path claims to read it. ----

type Piece = (String, bool);

fn piece(text: &str, fast: bool) -> Piece {
    (text.to_owned(), fast)
}

/// One char of a string body, written in one of the forms JSON allows.
fn encode_char(c: char, form: u8, out: &mut String) {
    let short = match c {
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '/' if form == 3 => Some("\\/"),
        '\u{8}' => Some("\\b"),
        '\u{c}' => Some("\\f"),
        '\n' => Some("\\n"),
        '\r' => Some("\\r"),
        '\t' => Some("\\t"),
        _ => None,
    };
    match (form, short) {
        (1 | 2, _) => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let escape = if form == 1 {
                    format!("\\u{unit:04x}")
                } else {
                    format!("\\u{unit:04X}")
                };
                out.push_str(&escape);
            }
        }
        (_, Some(short)) => out.push_str(short),
        _ if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        _ => out.push(c),
    }
}

fn string_body(clean: u32) -> impl Strategy<Value = Piece> {
    let good = (text_char(), 0u8..4).prop_map(|(c, form)| {
        let mut out = String::new();
        encode_char(c, form, &mut out);
        (out, true)
    });
    let bad = prop::sample::select(vec![
        "\\ud800",
        "\\udc00",
        "\\udbff\\u0041",
        "\\ud800x",
        "\\x",
        "\\u12",
        "\\uZZZZ",
        "\u{1}",
        "\t",
        "\\",
    ])
    .prop_map(|s| piece(s, false));
    prop::collection::vec(prop_oneof![4 * clean => good, 1 => bad], 0..12).prop_map(|pieces| {
        let fast = pieces.iter().all(|(_, fast)| *fast);
        let body: String = pieces.into_iter().map(|(text, _)| text).collect();
        (format!("\"{body}\""), fast)
    })
}

/// Values of `code`, `version`, `opaque` and `flag`.
fn int_value(clean: u32) -> impl Strategy<Value = Piece> {
    let pad = prop::sample::select(vec!["", " ", "  ", "\u{3000}", "\u{a0}"]);
    prop_oneof![
        4 * clean => any::<i32>().prop_map(|n| (n.to_string(), true)),
        2 * clean => (any::<i32>(), pad.clone(), pad)
            .prop_map(|(n, a, b)| (format!("\"{a}{n}{b}\""), true)),
        clean => Just(piece("null", true)),
        1 => any::<i64>().prop_map(|n| (n.to_string(), i32::try_from(n).is_ok())),
        1 => any::<u64>().prop_map(|n| (n.to_string(), false)),
        2 => prop::sample::select(vec![
            "7.0", "1e3", "-1E2", "-0", "01", "-", "\"\\u0031\"", "true", "\"abc\"", "{}", "[]",
            "99999999999999999999", "18446744073709551616", "-9223372036854775809", "\"+5\"",
            "\"\"", "2.5", "\"2147483648\"",
        ])
        .prop_map(|s| piece(s, false)),
    ]
}

fn language_value(clean: u32) -> impl Strategy<Value = Piece> {
    let names = vec![
        "JAVA", "GO", "CPP", "RUST", "NODE_JS", "OTHER", "COBOL", "", "java",
    ];
    prop_oneof![
        3 * clean => prop::sample::select(names).prop_map(|name| (format!("\"{name}\""), true)),
        2 * clean => any::<i16>().prop_map(|n| (n.to_string(), true)),
        1 => any::<i64>().prop_map(|n| (n.to_string(), n.unsigned_abs() < 10u64.pow(18))),
        clean => Just(piece("null", true)),
        1 => prop::sample::select(vec![
            "-0", "1.5", "\"J\\u0041VA\"", "true", "{}", "[1]", "99999999999999999999",
        ])
        .prop_map(|s| piece(s, false)),
    ]
}

fn remark_value(clean: u32) -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 * clean => string_body(clean),
        clean => Just(piece("null", true)),
        1 => prop::sample::select(vec!["5", "-1.5", "true", "[1]", "{\"a\":1}"])
            .prop_map(|s| piece(s, false)),
    ]
}

fn ext_entry(clean: u32) -> impl Strategy<Value = Piece> {
    let value = prop_oneof![
        6 * clean => string_body(clean),
        clean => Just(piece("null", true)),
        1 => prop::sample::select(vec!["5", "true", "1.0", "{}", "[null]", "-0"])
            .prop_map(|s| piece(s, false)),
    ];
    (string_body(clean), value, whitespace(), whitespace())
        .prop_map(|((key, k), (value, v), a, b)| (format!("{key}{a}:{b}{value}"), k && v))
}

fn ext_fields_value(clean: u32) -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 * clean => (prop::collection::vec(ext_entry(clean), 0..16), whitespace())
            .prop_map(|(entries, ws)| {
                let fast = entries.iter().all(|(_, fast)| *fast);
                let texts: Vec<String> = entries.into_iter().map(|(text, _)| text).collect();
                (format!("{{{ws}{}{ws}}}", texts.join(&format!("{ws},{ws}"))), fast)
            }),
        clean => Just(piece("null", true)),
        1 => prop::sample::select(vec!["[]", "\"x\"", "1", "{\"a\":\"1\",}"])
            .prop_map(|s| piece(s, false)),
    ]
}

fn unknown_value(clean: u32) -> impl Strategy<Value = Piece> {
    prop_oneof![
        2 * clean => string_body(clean),
        clean => any::<i32>().prop_map(|n| (n.to_string(), true)),
        clean => prop::sample::select(vec!["true", "false", "null"]).prop_map(|s| piece(s, true)),
        clean => prop::sample::select(vec!["\"JSON\"", "\"ROCKETMQ\""])
            .prop_map(|s| piece(s, true)),
        1 => prop::sample::select(vec!["1.5", "{}", "[1,{\"a\":[]}]", "-0", "1e9", "nul"])
            .prop_map(|s| piece(s, false)),
    ]
}

/// A member: its text, whether the fast path reads it, and for `code` whether
/// the value is `null` (`Some(true)`) or not (`Some(false)`).
type Member = (String, bool, Option<bool>);

fn member(clean: u32) -> impl Strategy<Value = Member> {
    let named = |key: &'static str, value: BoxedStrategy<Piece>| {
        value.prop_map(move |(text, fast)| (format!("\"{key}\""), text, fast))
    };
    let unknown_key = prop::sample::select(vec![
        "\"serializeTypeCurrentRPC\"",
        "\"x\"",
        "\"\"",
        "\"codes\"",
        "\"Code\"",
        "\"c\\u006fde\"",
    ]);
    let members = prop_oneof![
        3 => named("code", int_value(clean).boxed()),
        1 => named("version", int_value(clean).boxed()),
        1 => named("opaque", int_value(clean).boxed()),
        1 => named("flag", int_value(clean).boxed()),
        1 => named("language", language_value(clean).boxed()),
        1 => named("remark", remark_value(clean).boxed()),
        3 => named("extFields", ext_fields_value(clean).boxed()),
        1 => (unknown_key, unknown_value(clean)).prop_map(|(key, (text, fast))| {
            (key.to_owned(), text, fast && !key.contains('\\'))
        }),
    ];
    (members, whitespace(), whitespace()).prop_map(|((key, value, fast), a, b)| {
        let code_null = (key == "\"code\"").then_some(value == "null");
        (format!("{key}{a}:{b}{value}"), fast, code_null)
    })
}

fn whitespace() -> impl Strategy<Value = String> {
    let ws = prop::sample::select(vec![' ', '\n', '\t', '\r']);
    prop_oneof![
        3 => Just(String::new()),
        1 => prop::collection::vec(ws, 1..3).prop_map(String::from_iter),
    ]
}

/// A header and whether the fast path must accept it. `clean` weighs the
/// pieces the fast path reads against the ones it refuses; a valid `code` is
/// usually placed somewhere among the members.
fn assembled_header(clean: u32) -> impl Strategy<Value = (String, bool)> {
    let members = prop::collection::vec(member(clean), 0..10);
    let code = prop::option::weighted(0.9, (any::<i32>(), any::<prop::sample::Index>()));
    let ws = (whitespace(), whitespace(), whitespace());
    (members, code, ws).prop_map(|(mut members, code, (ws, lead, tail))| {
        if let Some((code, at)) = code {
            let at = at.index(members.len() + 1);
            members.insert(at, (format!("\"code\":{code}"), true, Some(false)));
        }
        let all_fast = members.iter().all(|(_, fast, _)| *fast);
        let last_code_null = members
            .iter()
            .rev()
            .find_map(|(_, _, code_null)| *code_null);
        let texts: Vec<String> = members.into_iter().map(|(text, ..)| text).collect();
        let body = texts.join(&format!("{ws},{ws}"));
        let header = format!("{lead}{{{ws}{body}{ws}}}{tail}");
        (header, all_fast && last_code_null == Some(false))
    })
}

/// Mostly-clean and nasty headers in equal parts.
fn any_assembled_header() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![assembled_header(1), assembled_header(20)]
}

#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(prop::sample::Index),
    Append(&'static [u8]),
    Replace(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    let byte = prop_oneof![
        prop::sample::select(b"\"\\{}[],:0-9.eEnul \t\x01\x7f".to_vec()),
        any::<u8>(),
    ];
    prop_oneof![
        4 => Just(Damage::None),
        1 => any::<prop::sample::Index>().prop_map(Damage::Truncate),
        1 => prop::sample::select(vec![&b"x"[..], b"}", b",", b"\0", b" {}", b"\xff"])
            .prop_map(Damage::Append),
        1 => (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Damage::Replace(i, b)),
        1 => (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(damage: &Damage, mut bytes: Vec<u8>) -> Vec<u8> {
    match damage {
        Damage::None => {}
        Damage::Truncate(at) => bytes.truncate(at.index(bytes.len().max(1))),
        Damage::Append(tail) => bytes.extend_from_slice(tail),
        Damage::Replace(at, byte) => {
            if !bytes.is_empty() {
                let at = at.index(bytes.len());
                bytes[at] = *byte;
            }
        }
        Damage::Insert(at, byte) => bytes.insert(at.index(bytes.len() + 1), *byte),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn encoded_commands_take_the_fast_path(command in json_command()) {
        let mut out = BytesMut::new();
        encode_json_header(&command, &mut out);
        let fast = check_agrees(&out);
        prop_assert_eq!(fast, Some(command.header_fields()));
    }

    #[test]
    fn assembled_headers_agree_with_serde(
        (header, must_accept) in any_assembled_header(),
        damage in damage(),
    ) {
        let bytes = apply(&damage, header.into_bytes());
        let fast = check_agrees(&bytes);
        if must_accept && matches!(damage, Damage::None) {
            prop_assert!(fast.is_some(), "refused {:?}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn arbitrary_bytes_agree_with_serde(
        bytes in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(b"{}[]\",:\\ 0123456789-.eEnultrfasco".to_vec()),
                1 => any::<u8>(),
            ],
            0..48,
        ),
    ) {
        check_agrees(&bytes);
    }
}

// ---- Timing (not a check: the machine is shared). ----

/// The broker's answer to a send, with the Java extras (§3.1).
const SEND_RESPONSE: &str = concat!(
    r#"{"code":0,"extFields":{"MSG_REGION":"DefaultRegion","TRACE_ON":"true","#,
    r#""msgId":"7F00000100002A9F0000000000123456","queueId":"3","queueOffset":"98765","#,
    r#""transactionId":"7F0000010B2C18B4AAC27E5F2A3B0000"},"flag":1,"language":"JAVA","#,
    r#""opaque":123456,"serializeTypeCurrentRPC":"JSON","version":479}"#,
);

/// Best ns per call over `rounds` rounds of `calls` calls.
fn best_ns_per_call(rounds: u32, calls: u32, mut call: impl FnMut()) -> f64 {
    let mut best_ns = f64::MAX;
    for _ in 0..rounds {
        let start = std::time::Instant::now();
        for _ in 0..calls {
            call();
        }
        best_ns = best_ns.min(start.elapsed().as_nanos() as f64 / f64::from(calls));
    }
    best_ns
}

/// Prints ns/header for serde and the fast path, interleaved so that both
/// see the same load. Run with
/// `cargo test --release -p thrust-core --lib json_header_timing -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run by hand in release"]
fn json_header_timing() {
    use std::hint::black_box;
    const ROUNDS: u32 = 10;
    const CALLS_PER_ROUND: u32 = 100_000;
    for (name, header) in [
        ("SEND_MESSAGE_V2 request (Java 4.x)", JAVA_4_SEND_V2),
        ("SEND response", SEND_RESPONSE),
    ] {
        let bytes = header.as_bytes();
        let fields = fast_path(header);
        let (mut serde_ns, mut fast_ns) = (f64::MAX, f64::MAX);
        for _ in 0..ROUNDS {
            serde_ns = serde_ns.min(best_ns_per_call(1, CALLS_PER_ROUND, || {
                black_box(decode_json_header_serde(black_box(bytes)).is_ok());
            }));
            fast_ns = fast_ns.min(best_ns_per_call(1, CALLS_PER_ROUND, || {
                black_box(decode_json_header_fast(black_box(bytes)).is_some());
            }));
        }
        let command = fields.into_command(Bytes::new(), SerializeType::Json);
        let mut out = BytesMut::with_capacity(1024);
        let encode_ns = best_ns_per_call(ROUNDS, CALLS_PER_ROUND, || {
            out.clear();
            encode_json_header(black_box(&command), &mut out);
            black_box(out.len());
        });
        println!(
            "{name}, {} bytes: decode serde {serde_ns:.0} ns, fast {fast_ns:.0} ns; \
             encode {encode_ns:.0} ns",
            bytes.len()
        );
    }
}

proptest! {
    #[test]
    fn plain_run_ends_at_the_first_special_byte(
        bytes in prop::collection::vec(
            prop_oneof![
                3 => 0x20u8..=0xFF,
                1 => prop::sample::select(b"\"\\\x00\x1f\x7f\x80\xff !".to_vec()),
            ],
            0..40,
        ),
    ) {
        let expected = bytes
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
            .unwrap_or(bytes.len());
        prop_assert_eq!(plain_run_end(&bytes, 0), expected);
        for start in 0..=bytes.len() {
            let expected = bytes[start..]
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .map_or(bytes.len(), |offset| start + offset);
            prop_assert_eq!(plain_run_end(&bytes, start), expected);
        }
    }
}
