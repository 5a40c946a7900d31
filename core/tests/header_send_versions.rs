//! The send request header reads both of its encodings into one struct
//! (REMOTING.md §3.1): the exact §1.3 example from a Java 5.3.3 producer
//! (V2 letters) decodes to the expected values; a Go-style V1 request
//! carrying the same message decodes to the same struct; any header written
//! as V1 or V2 reads back identically through `from_v1`/`from_v2` and the
//! auto-detecting `from_ext_fields`. Also pins the send response extras
//! (`MSG_REGION`, `TRACE_ON`) and the pull response's four offsets.

mod header_support;

use header_support::fields_strategy;
use proptest::prelude::*;
use thrust_core::error::DecodeError;
use thrust_core::ext_fields::ExtFields;
use thrust_core::header::*;

/// The JSON header of REMOTING.md §1.3, verbatim.
const JAVA_SEND_V2_JSON: &str = r#"{"code":310,"extFields":{"a":"pg","b":"TopicTest","c":"TBW102","d":"4","e":"1","f":"0",
 "g":"1732512000000","h":"0","i":"TAGS\u0001TagA\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001C0A8...\u0002",
 "j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":7,
 "serializeTypeCurrentRPC":"JSON","version":479}"#;

const PROPERTIES: &str = "TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}UNIQ_KEY\u{1}C0A8...\u{2}";

fn ext_fields_of(json: &str) -> ExtFields {
    let value: serde_json::Value = serde_json::from_str(json).expect("the doc example is JSON");
    serde_json::from_value(value["extFields"].clone()).expect("extFields is a string map")
}

fn map(pairs: &[(&str, &str)]) -> ExtFields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn expected_from_doc_example() -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 1,
        sys_flag: 0,
        born_timestamp: 1_732_512_000_000,
        flag: 0,
        properties: Some(PROPERTIES.into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: Some("broker-a".into()),
    }
}

#[test]
fn java_v2_example_of_the_spec_decodes_to_the_expected_values() {
    let fields = ext_fields_of(JAVA_SEND_V2_JSON);
    assert_eq!(SendHeaderVersion::detect(&fields), SendHeaderVersion::V2);
    let header = SendMessageRequestHeader::from_v2(&fields).expect("valid V2 header");
    assert_eq!(header, expected_from_doc_example());
    assert_eq!(
        SendMessageRequestHeader::from_ext_fields(&fields),
        Ok(header.clone())
    );
    assert!(!header.is_batch());
    // Written back as V2 it is the same map (the example has no `l`).
    let mut written = ExtFields::new();
    header.to_v2(&mut written);
    assert_eq!(written, fields);
}

#[test]
fn go_v1_request_for_the_same_message_decodes_to_the_same_struct() {
    // What rocketmq-client-go's SendMessageRequestHeader.Encode writes.
    let go = map(&[
        ("producerGroup", "pg"),
        ("topic", "TopicTest"),
        ("queueId", "1"),
        ("sysFlag", "0"),
        ("bornTimestamp", "1732512000000"),
        ("flag", "0"),
        ("reconsumeTimes", "0"),
        ("unitMode", "false"),
        ("maxReconsumeTimes", "0"),
        ("defaultTopic", "TBW102"),
        ("defaultTopicQueueNums", "4"),
        ("batch", "false"),
        ("properties", PROPERTIES),
        ("bname", "broker-a"),
    ]);
    assert_eq!(SendHeaderVersion::detect(&go), SendHeaderVersion::V1);
    let from_go = SendMessageRequestHeader::from_ext_fields(&go).expect("valid V1 header");
    assert_eq!(
        from_go,
        SendMessageRequestHeader::from_v1(&go).expect("valid V1 header")
    );
    let expected = SendMessageRequestHeader {
        max_reconsume_times: Some(0),
        ..expected_from_doc_example()
    };
    assert_eq!(from_go, expected);

    let mut java = ext_fields_of(JAVA_SEND_V2_JSON);
    java.insert("l".into(), "0".into());
    assert_eq!(SendMessageRequestHeader::from_v2(&java), Ok(from_go));
}

#[test]
fn go_v1_request_with_empty_properties_and_broker_name_reads_them_as_absent() {
    let go = map(&[
        ("producerGroup", "pg"),
        ("topic", "T"),
        ("queueId", "0"),
        ("sysFlag", "0"),
        ("bornTimestamp", "1"),
        ("flag", "0"),
        ("defaultTopic", "TBW102"),
        ("defaultTopicQueueNums", "4"),
        ("batch", "True"),
        ("properties", ""),
        ("bname", ""),
    ]);
    let header = SendMessageRequestHeader::from_v1(&go).expect("valid V1 header");
    assert_eq!(header.properties, None);
    assert_eq!(header.broker_name, None);
    assert!(header.is_batch());
}

#[test]
fn missing_fields_are_named_in_the_encoding_used() {
    let mut v2 = ext_fields_of(JAVA_SEND_V2_JSON);
    v2.remove("g");
    assert_eq!(
        SendMessageRequestHeader::from_ext_fields(&v2),
        Err(DecodeError::MissingField { field: "g" })
    );
    assert_eq!(
        SendMessageRequestHeader::from_v1(&v2),
        Err(DecodeError::MissingField {
            field: "producerGroup"
        })
    );
}

proptest! {
    #[test]
    fn any_header_reads_back_from_both_encodings(
        map in fields_strategy(<SendMessageRequestHeader as CommandHeader>::FIELDS)
    ) {
        let header = SendMessageRequestHeader::from_v1(&map).unwrap();
        let mut v1 = ExtFields::new();
        header.to_v1(&mut v1);
        let mut v2 = ExtFields::new();
        header.to_v2(&mut v2);
        prop_assert_eq!(v1.len(), v2.len());
        prop_assert_eq!(SendMessageRequestHeader::from_v1(&v1), Ok(header.clone()));
        prop_assert_eq!(SendMessageRequestHeader::from_v2(&v2), Ok(header.clone()));
        prop_assert_eq!(SendMessageRequestHeader::from_ext_fields(&v1), Ok(header.clone()));
        prop_assert_eq!(SendMessageRequestHeader::from_ext_fields(&v2), Ok(header));
    }
}

#[test]
fn send_response_carries_java_region_and_trace_switch() {
    let response = SendMessageResponseHeader {
        msg_id: "C0A8000100002A9F0000000000000000".into(),
        queue_id: 3,
        queue_offset: 42,
        transaction_id: Some("UNIQ".into()),
        ..Default::default()
    }
    .with_java_extras(MSG_REGION_DEFAULT, true);
    assert_eq!(
        response.encode(),
        map(&[
            ("MSG_REGION", "DefaultRegion"),
            ("TRACE_ON", "true"),
            ("msgId", "C0A8000100002A9F0000000000000000"),
            ("queueId", "3"),
            ("queueOffset", "42"),
            ("transactionId", "UNIQ"),
        ])
    );
}

#[test]
fn pull_response_always_writes_its_four_offsets() {
    let written = PullMessageResponseHeader::default().encode();
    assert_eq!(
        written,
        map(&[
            ("maxOffset", "0"),
            ("minOffset", "0"),
            ("nextBeginOffset", "0"),
            ("suggestWhichBrokerId", "0")
        ])
    );
}
