//! Fuzzes every JSON body decoder (REMOTING.md §9): arbitrary bytes must
//! never panic one; a decoded body must re-encode to bytes that decode to the
//! same value and re-encode to the same bytes (encode∘decode is a fixed point
//! after one step). The fastjson pre-pass (bare keys, object keys, null
//! members) is exercised by all of them.
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use thrust_core::body::*;

fn check<T: JsonBody + PartialEq + Debug>(data: &[u8]) {
    let Ok(value) = T::decode(data) else {
        return;
    };
    let encoded = value.encode();
    let again = match T::decode(&encoded) {
        Ok(again) => again,
        Err(err) => panic!(
            "{}: re-encoded body does not decode: {err}: {}",
            T::WHAT,
            String::from_utf8_lossy(&encoded)
        ),
    };
    assert_eq!(again, value, "{}", T::WHAT);
    assert_eq!(again.encode(), encoded, "{}", T::WHAT);
}

fuzz_target!(|data: &[u8]| {
    check::<TopicRouteData>(data);
    check::<QueueData>(data);
    check::<BrokerData>(data);
    check::<HeartbeatData>(data);
    check::<ConsumerData>(data);
    check::<ProducerData>(data);
    check::<SubscriptionData>(data);
    check::<MessageQueue>(data);
    check::<TopicConfig>(data);
    check::<DataVersion>(data);
    check::<TopicConfigSerializeWrapper>(data);
    check::<RegisterBrokerBody>(data);
    check::<ClusterInfo>(data);
    check::<LockBatchRequestBody>(data);
    check::<LockBatchResponseBody>(data);
    check::<UnlockBatchRequestBody>(data);
    check::<TopicList>(data);
    check::<KVTable>(data);
    check::<GetConsumerListByGroupResponseBody>(data);
    check::<CheckClientRequestBody>(data);
    check::<SubscriptionGroupConfig>(data);
    check::<SubscriptionGroupWrapper>(data);
    check::<ConsumerOffsetSerializeWrapper>(data);
    check::<Connection>(data);
    check::<ConsumerConnection>(data);
    check::<ProducerConnection>(data);
    check::<OffsetWrapper>(data);
    check::<TopicOffset>(data);
    check::<ConsumeStats>(data);
    check::<TopicStatsTable>(data);
    check::<ResetOffsetBody>(data);
});
