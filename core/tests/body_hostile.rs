//! Hostile input to every body decoder: truncated documents, invalid JSON,
//! wrong member types, invalid UTF-8, deep nesting and random bytes must all
//! give an error (or a value), never a panic; and whatever decodes must
//! survive encode-then-decode unchanged (the fuzz target's property, run here
//! on proptest's inputs).

use proptest::prelude::*;
use thrust_core::body::*;
use thrust_core::DecodeError;

/// Decodes `bytes` as `T`; if that works, checks the re-encoding decodes to
/// the same value. Returns whether the first decode worked.
fn decode_stable<T: JsonBody + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> bool {
    let Ok(value) = T::decode(bytes) else {
        return false;
    };
    let encoded = value.encode();
    let again = T::decode(&encoded);
    assert_eq!(
        again.as_ref(),
        Ok(&value),
        "re-encoded as {}",
        String::from_utf8_lossy(&encoded)
    );
    true
}

/// Runs every body decoder on `bytes`; returns how many accepted it.
fn decode_all(bytes: &[u8]) -> usize {
    [
        decode_stable::<TopicRouteData>(bytes),
        decode_stable::<QueueData>(bytes),
        decode_stable::<BrokerData>(bytes),
        decode_stable::<HeartbeatData>(bytes),
        decode_stable::<ConsumerData>(bytes),
        decode_stable::<ProducerData>(bytes),
        decode_stable::<SubscriptionData>(bytes),
        decode_stable::<MessageQueue>(bytes),
        decode_stable::<TopicConfig>(bytes),
        decode_stable::<DataVersion>(bytes),
        decode_stable::<TopicConfigSerializeWrapper>(bytes),
        decode_stable::<RegisterBrokerBody>(bytes),
        decode_stable::<ClusterInfo>(bytes),
        decode_stable::<LockBatchRequestBody>(bytes),
        decode_stable::<LockBatchResponseBody>(bytes),
        decode_stable::<UnlockBatchRequestBody>(bytes),
        decode_stable::<TopicList>(bytes),
        decode_stable::<KVTable>(bytes),
        decode_stable::<GetConsumerListByGroupResponseBody>(bytes),
        decode_stable::<CheckClientRequestBody>(bytes),
        decode_stable::<SubscriptionGroupConfig>(bytes),
        decode_stable::<SubscriptionGroupWrapper>(bytes),
        decode_stable::<ConsumerOffsetSerializeWrapper>(bytes),
        decode_stable::<Connection>(bytes),
        decode_stable::<ConsumerConnection>(bytes),
        decode_stable::<ProducerConnection>(bytes),
        decode_stable::<OffsetWrapper>(bytes),
        decode_stable::<TopicOffset>(bytes),
        decode_stable::<ConsumeStats>(bytes),
        decode_stable::<TopicStatsTable>(bytes),
        decode_stable::<ResetOffsetBody>(bytes),
    ]
    .into_iter()
    .filter(|accepted| *accepted)
    .count()
}

const DECODER_COUNT: usize = 31;

const SAMPLES: &[&str] = &[
    r#"{"brokerDatas":[{"brokerAddrs":{0:"192.168.1.10:10911"},"brokerName":"b","cluster":"c"}],"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#,
    r#"{"clientID":"c","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING","subscriptionDataSet":[{"codeSet":["1"],"subString":"A","subVersion":"1","tagsSet":["A"],"topic":"T"}]}],"producerDataSet":[{"groupName":"pg"}]}"#,
    r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"T":{"topicName":"T"}}}}"#,
    r#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":1}}}"#,
    r#"{"offsetTable":{"T@g":{0:12,1:34}}}"#,
];

#[test]
fn every_proper_prefix_of_a_body_is_refused() {
    for sample in SAMPLES {
        assert!(
            decode_all(sample.as_bytes()) > 0,
            "sample must be accepted: {sample}"
        );
        for end in 0..sample.len() {
            let prefix = &sample.as_bytes()[..end];
            assert_eq!(
                decode_all(prefix),
                0,
                "prefix accepted: {}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
}

#[test]
fn invalid_json_is_refused_by_every_decoder() {
    for garbage in [
        "",
        "{",
        "}",
        "[]",
        "null",
        "42",
        "\"x\"",
        "{,}",
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        "{'a':1}",
        r#"{"a":tru}"#,
        "{{}",
        r#"{"a":"\x"}"#,
        "{0:}",
        "{:1}",
        "\u{feff}{}",
    ] {
        assert_eq!(decode_all(garbage.as_bytes()), 0, "accepted {garbage:?}");
    }
}

/// Whether one decoder refuses a body.
type Refuses = fn(&[u8]) -> bool;

#[test]
fn wrong_member_types_are_refused() {
    let cases: &[(&str, Refuses)] = &[
        (r#"{"brokerDatas":"x"}"#, |b| {
            TopicRouteData::decode(b).is_err()
        }),
        (r#"{"queueDatas":[{"perm":"six"}]}"#, |b| {
            TopicRouteData::decode(b).is_err()
        }),
        (r#"{"brokerDatas":[{"brokerAddrs":{"zero":"a:1"}}]}"#, |b| {
            TopicRouteData::decode(b).is_err()
        }),
        (r#"{"brokerDatas":[{"brokerAddrs":{0:1}}]}"#, |b| {
            TopicRouteData::decode(b).is_err()
        }),
        (r#"{"clientID":5}"#, |b| HeartbeatData::decode(b).is_err()),
        (r#"{"consumerDataSet":{}}"#, |b| {
            HeartbeatData::decode(b).is_err()
        }),
        (r#"{"consumerDataSet":[{"consumeType":[1]}]}"#, |b| {
            HeartbeatData::decode(b).is_err()
        }),
        (r#"{"subVersion":"soon"}"#, |b| {
            SubscriptionData::decode(b).is_err()
        }),
        (r#"{"codeSet":[1.5]}"#, |b| {
            SubscriptionData::decode(b).is_err()
        }),
        (r#"{"queueId":4294967296}"#, |b| {
            MessageQueue::decode(b).is_err()
        }),
        (r#"{"topicFilterType":"TRIPLE_TAG"}"#, |b| {
            TopicConfig::decode(b).is_err()
        }),
        (r#"{"counter":1e3}"#, |b| DataVersion::decode(b).is_err()),
        (r#"{"mqSet":[1,2]}"#, |b| {
            LockBatchRequestBody::decode(b).is_err()
        }),
        (r#"{"table":{"k":1}}"#, |b| KVTable::decode(b).is_err()),
        (r#"{"offsetTable":{"T@g":{"q":1}}}"#, |b| {
            ConsumerOffsetSerializeWrapper::decode(b).is_err()
        }),
        (r#"{"consumeTps":"fast"}"#, |b| {
            ConsumeStats::decode(b).is_err()
        }),
        (r#"{"offsetTable":[[{"queueId":0}]]}"#, |b| {
            ResetOffsetBody::decode(b).is_err()
        }),
    ];
    for (body, refused) in cases {
        assert!(refused(body.as_bytes()), "accepted {body}");
    }
}

#[test]
fn json_errors_name_the_body() {
    let err = HeartbeatData::decode(br#"{"clientID":5}"#).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Json {
                what: "HeartbeatData",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn invalid_utf8_is_refused() {
    // Unknown members are skipped without being read; members that are read
    // must be UTF-8.
    assert!(TopicList::decode(b"{\"topicList\":[\"\xff\xfe\"]}").is_err());
    assert!(KVTable::decode(b"{\"table\":{\"\xff\":\"v\"}}").is_err());
    assert_eq!(decode_all(b"{\xff:1}"), 0);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for depth in [129, 10_000, 1_000_000] {
        let arrays = format!(r#"{{"a":{}"#, "[".repeat(depth));
        assert_eq!(decode_all(arrays.as_bytes()), 0);
        let objects = format!(r#"{{"a":{}"#, r#"{"a":"#.repeat(depth));
        assert_eq!(decode_all(objects.as_bytes()), 0);
        let keys = "{".repeat(depth);
        assert_eq!(decode_all(keys.as_bytes()), 0);
    }
}

#[test]
fn empty_object_decodes_to_defaults_everywhere() {
    assert_eq!(decode_all(b"{}"), DECODER_COUNT);
    assert_eq!(decode_all(b" { } "), DECODER_COUNT);
}

proptest! {
    #[test]
    fn random_bytes_never_panic_any_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&bytes);
    }

    #[test]
    fn json_like_text_never_panics_and_decodes_stably(text in r#"[{}\[\]:,"0-9a-zA-Z\\ .-]{0,64}"#) {
        decode_all(text.as_bytes());
    }

    #[test]
    fn mutated_bodies_never_panic_and_decode_stably(
        sample in proptest::sample::select(SAMPLES),
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = sample.as_bytes().to_vec();
        let at = position.index(bytes.len());
        bytes[at] = byte;
        decode_all(&bytes);
    }
}
