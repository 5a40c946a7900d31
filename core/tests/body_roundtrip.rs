//! `decode(encode(x)) == x` for every JSON body type (STYLE.md §7), over
//! generated values: arbitrary Unicode text (quotes, backslashes, control
//! characters), extreme integers, every enum constant, absent optional
//! members, opaque JSON values and object-keyed maps. Standard-JSON bodies
//! are also checked to parse as plain JSON, i.e. every key is quoted.

use std::collections::BTreeMap;
use std::fmt::Debug;

use proptest::collection::{btree_map, btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use thrust_core::body::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[A-Za-z0-9%@:._|* -]{0,12}", 1 => any::<String>()]
}

fn finite_f64() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |value| value.is_finite())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f64().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map(text(), inner, 0..3).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn opaque_map() -> impl Strategy<Value = BTreeMap<String, Value>> {
    btree_map(text(), json_value(), 0..3)
}

fn message_queue() -> impl Strategy<Value = MessageQueue> {
    (text(), text(), any::<i32>())
        .prop_map(|(topic, broker, id)| MessageQueue::new(topic, broker, id))
}

prop_compose! {
    fn queue_data()(broker_name in text(), perm in any::<i32>(), read_queue_nums in any::<i32>(),
        topic_sys_flag in any::<i32>(), write_queue_nums in any::<i32>()) -> QueueData {
        QueueData { broker_name, perm, read_queue_nums, topic_sys_flag, write_queue_nums }
    }
}

prop_compose! {
    fn broker_data()(broker_addrs in btree_map(any::<i64>(), text(), 0..3), broker_name in text(),
        cluster in text(), enable_acting_master in any::<bool>(),
        zone_name in option::of(text())) -> BrokerData {
        BrokerData { broker_addrs, broker_name, cluster, enable_acting_master, zone_name }
    }
}

prop_compose! {
    fn topic_route_data()(broker_datas in vec(broker_data(), 0..3),
        filter_server_table in btree_map(text(), vec(text(), 0..2), 0..2),
        order_topic_conf in option::of(text()), queue_datas in vec(queue_data(), 0..3),
        topic_queue_mapping_by_broker in option::of(opaque_map())) -> TopicRouteData {
        TopicRouteData {
            broker_datas, filter_server_table, order_topic_conf, queue_datas,
            topic_queue_mapping_by_broker,
        }
    }
}

prop_compose! {
    fn subscription_data()(class_filter_mode in any::<bool>(), code_set in vec(any::<i32>(), 0..3),
        expression_type in text(), sub_string in text(), sub_version in any::<i64>(),
        tags_set in vec(text(), 0..3), topic in text()) -> SubscriptionData {
        SubscriptionData {
            class_filter_mode, code_set, expression_type, sub_string, sub_version, tags_set, topic,
        }
    }
}

prop_compose! {
    fn consumer_data()(consume_from_where in option::of(select(ConsumeFromWhere::ALL)),
        consume_type in option::of(select(ConsumeType::ALL)), group_name in text(),
        message_model in option::of(select(MessageModel::ALL)),
        subscription_data_set in vec(subscription_data(), 0..3),
        unit_mode in any::<bool>()) -> ConsumerData {
        ConsumerData {
            consume_from_where, consume_type, group_name, message_model, subscription_data_set,
            unit_mode,
        }
    }
}

fn producer_data() -> impl Strategy<Value = ProducerData> {
    text().prop_map(|group_name| ProducerData { group_name })
}

prop_compose! {
    fn heartbeat_data()(client_id in text(), consumer_data_set in vec(consumer_data(), 0..3),
        heartbeat_fingerprint in any::<i32>(), producer_data_set in vec(producer_data(), 0..3),
        without_sub in any::<bool>()) -> HeartbeatData {
        HeartbeatData {
            client_id, consumer_data_set, heartbeat_fingerprint, producer_data_set, without_sub,
        }
    }
}

prop_compose! {
    fn data_version()(counter in any::<i64>(), state_version in any::<i64>(),
        timestamp in any::<i64>()) -> DataVersion {
        DataVersion { counter, state_version, timestamp }
    }
}

prop_compose! {
    fn topic_config()(attributes in btree_map(text(), text(), 0..3), order in any::<bool>(),
        perm in any::<i32>(), read_queue_nums in any::<i32>(),
        topic_filter_type in select(TopicFilterType::ALL), topic_name in text(),
        topic_sys_flag in any::<i32>(), write_queue_nums in any::<i32>()) -> TopicConfig {
        TopicConfig {
            attributes, order, perm, read_queue_nums, topic_filter_type, topic_name,
            topic_sys_flag, write_queue_nums,
        }
    }
}

prop_compose! {
    fn topic_config_wrapper()(data_version in data_version(),
        mapping_data_version in option::of(data_version()),
        topic_config_table in btree_map(text(), topic_config(), 0..3),
        topic_queue_mapping_detail_map in option::of(opaque_map()),
        topic_queue_mapping_info_map in option::of(opaque_map())) -> TopicConfigSerializeWrapper {
        TopicConfigSerializeWrapper {
            data_version, mapping_data_version, topic_config_table,
            topic_queue_mapping_detail_map, topic_queue_mapping_info_map,
        }
    }
}

prop_compose! {
    fn register_broker_body()(filter_server_list in vec(text(), 0..3),
        topic_config_serialize_wrapper in topic_config_wrapper()) -> RegisterBrokerBody {
        RegisterBrokerBody { filter_server_list, topic_config_serialize_wrapper }
    }
}

prop_compose! {
    fn cluster_info()(broker_addr_table in btree_map(text(), broker_data(), 0..3),
        cluster_addr_table in btree_map(text(), btree_set(text(), 0..3), 0..3)) -> ClusterInfo {
        ClusterInfo { broker_addr_table, cluster_addr_table }
    }
}

prop_compose! {
    fn lock_request()(client_id in text(), consumer_group in text(),
        mq_set in btree_set(message_queue(), 0..4), only_this_broker in any::<bool>())
        -> LockBatchRequestBody {
        LockBatchRequestBody { client_id, consumer_group, mq_set, only_this_broker }
    }
}

fn unlock_request() -> impl Strategy<Value = UnlockBatchRequestBody> {
    lock_request().prop_map(|lock| UnlockBatchRequestBody {
        client_id: lock.client_id,
        consumer_group: lock.consumer_group,
        mq_set: lock.mq_set,
        only_this_broker: lock.only_this_broker,
    })
}

fn lock_response() -> impl Strategy<Value = LockBatchResponseBody> {
    btree_set(message_queue(), 0..4)
        .prop_map(|lock_ok_mq_set| LockBatchResponseBody { lock_ok_mq_set })
}

fn topic_list() -> impl Strategy<Value = TopicList> {
    (option::of(text()), btree_set(text(), 0..4)).prop_map(|(broker_addr, topic_list)| TopicList {
        broker_addr,
        topic_list,
    })
}

fn kv_table() -> impl Strategy<Value = KVTable> {
    btree_map(text(), text(), 0..4).prop_map(|table| KVTable { table })
}

fn consumer_list() -> impl Strategy<Value = GetConsumerListByGroupResponseBody> {
    vec(text(), 0..4)
        .prop_map(|consumer_id_list| GetConsumerListByGroupResponseBody { consumer_id_list })
}

prop_compose! {
    fn check_client()(client_id in text(), group in text(), namespace in option::of(text()),
        subscription_data in option::of(subscription_data())) -> CheckClientRequestBody {
        CheckClientRequestBody { client_id, group, namespace, subscription_data }
    }
}

fn retry_policy() -> impl Strategy<Value = GroupRetryPolicy> {
    let customized = vec(any::<i64>(), 0..4).prop_map(|next| CustomizedRetryPolicy { next });
    let exponential =
        (any::<i64>(), any::<i64>(), any::<i64>()).prop_map(|(initial, max, multiplier)| {
            ExponentialRetryPolicy {
                initial,
                max,
                multiplier,
            }
        });
    (
        option::of(customized),
        option::of(exponential),
        select(GroupRetryPolicyType::ALL),
    )
        .prop_map(
            |(customized_retry_policy, exponential_retry_policy, policy_type)| GroupRetryPolicy {
                customized_retry_policy,
                exponential_retry_policy,
                policy_type,
            },
        )
}

prop_compose! {
    fn simple_subscription()(expression in text(), expression_type in text(), topic in text(),
        version in any::<i64>()) -> SimpleSubscriptionData {
        SimpleSubscriptionData { expression, expression_type, topic, version }
    }
}

prop_compose! {
    fn subscription_group()(
        (attributes, broker_id, group_name, group_retry_policy, subscription_data_set) in (
            btree_map(text(), text(), 0..2), any::<i64>(), text(), retry_policy(),
            option::of(vec(simple_subscription(), 0..2)),
        ),
        flags in any::<[bool; 5]>(),
        numbers in any::<[i32; 4]>(),
        which_broker_when_consume_slowly in any::<i64>(),
    ) -> SubscriptionGroupConfig {
        SubscriptionGroupConfig {
            attributes,
            broker_id,
            consume_broadcast_enable: flags[0],
            consume_enable: flags[1],
            consume_from_min_enable: flags[2],
            consume_message_orderly: flags[3],
            consume_timeout_minute: numbers[0],
            group_name,
            group_retry_policy,
            group_sys_flag: numbers[1],
            notify_consumer_ids_changed_enable: flags[4],
            retry_max_times: numbers[2],
            retry_queue_nums: numbers[3],
            subscription_data_set,
            which_broker_when_consume_slowly,
        }
    }
}

prop_compose! {
    fn subscription_group_wrapper()(data_version in data_version(),
        forbidden_table in btree_map(text(), btree_map(text(), any::<i32>(), 0..2), 0..2),
        subscription_group_table in btree_map(text(), subscription_group(), 0..2))
        -> SubscriptionGroupWrapper {
        SubscriptionGroupWrapper { data_version, forbidden_table, subscription_group_table }
    }
}

prop_compose! {
    fn consumer_offsets()(data_version in option::of(data_version()),
        offset_table in btree_map(text(), btree_map(any::<i32>(), any::<i64>(), 0..3), 0..3))
        -> ConsumerOffsetSerializeWrapper {
        ConsumerOffsetSerializeWrapper { data_version, offset_table }
    }
}

prop_compose! {
    fn connection()(client_addr in text(), client_id in text(), language in text(),
        version in any::<i32>()) -> Connection {
        Connection { client_addr, client_id, language, version }
    }
}

prop_compose! {
    fn consumer_connection()(connection_set in vec(connection(), 0..3),
        consume_from_where in option::of(select(ConsumeFromWhere::ALL)),
        consume_type in option::of(select(ConsumeType::ALL)),
        message_model in option::of(select(MessageModel::ALL)),
        subscription_table in btree_map(text(), subscription_data(), 0..3)) -> ConsumerConnection {
        ConsumerConnection {
            connection_set, consume_from_where, consume_type, message_model, subscription_table,
        }
    }
}

fn producer_connection() -> impl Strategy<Value = ProducerConnection> {
    vec(connection(), 0..3).prop_map(|connection_set| ProducerConnection { connection_set })
}

fn offset_wrapper() -> impl Strategy<Value = OffsetWrapper> {
    any::<[i64; 4]>().prop_map(
        |[broker_offset, consumer_offset, last_timestamp, pull_offset]| OffsetWrapper {
            broker_offset,
            consumer_offset,
            last_timestamp,
            pull_offset,
        },
    )
}

fn topic_offset() -> impl Strategy<Value = TopicOffset> {
    any::<[i64; 3]>().prop_map(
        |[last_update_timestamp, max_offset, min_offset]| TopicOffset {
            last_update_timestamp,
            max_offset,
            min_offset,
        },
    )
}

fn consume_stats() -> impl Strategy<Value = ConsumeStats> {
    (finite_f64(), vec((message_queue(), offset_wrapper()), 0..4)).prop_map(
        |(consume_tps, offset_table)| ConsumeStats {
            consume_tps,
            offset_table,
        },
    )
}

fn topic_stats() -> impl Strategy<Value = TopicStatsTable> {
    (vec((message_queue(), topic_offset()), 0..4), finite_f64()).prop_map(
        |(offset_table, topic_put_tps)| TopicStatsTable {
            offset_table,
            topic_put_tps,
        },
    )
}

fn reset_offset() -> impl Strategy<Value = ResetOffsetBody> {
    vec((message_queue(), any::<i64>()), 0..4)
        .prop_map(|offset_table| ResetOffsetBody { offset_table })
}

/// Encodes, decodes, compares; and for standard bodies checks plain JSON.
fn round_trip<T: JsonBody + PartialEq + Debug>(
    value: &T,
    standard: bool,
) -> Result<(), TestCaseError> {
    let encoded = value.encode();
    let shown = String::from_utf8_lossy(&encoded).into_owned();
    let decoded =
        T::decode(&encoded).map_err(|err| TestCaseError::fail(format!("{err}: {shown}")))?;
    prop_assert_eq!(&decoded, value, "via {}", shown);
    if standard {
        prop_assert!(
            serde_json::from_slice::<Value>(&encoded).is_ok(),
            "not standard: {}",
            shown
        );
        prop_assert!(!encoded.contains(&b'\n'), "not compact: {}", shown);
    }
    Ok(())
}

macro_rules! round_trips {
    ($($test:ident: $strategy:expr, $standard:expr;)+) => {
        proptest! {
            $(
                #[test]
                fn $test(value in $strategy) {
                    round_trip(&value, $standard)?;
                }
            )+
        }
    };
}

round_trips! {
    message_queue_survives_encode_then_decode: message_queue(), true;
    queue_data_survives_encode_then_decode: queue_data(), true;
    broker_data_survives_encode_then_decode: broker_data(), true;
    topic_route_data_survives_encode_then_decode: topic_route_data(), true;
    subscription_data_survives_encode_then_decode: subscription_data(), true;
    consumer_data_survives_encode_then_decode: consumer_data(), true;
    producer_data_survives_encode_then_decode: producer_data(), true;
    heartbeat_data_survives_encode_then_decode: heartbeat_data(), true;
    data_version_survives_encode_then_decode: data_version(), true;
    topic_config_survives_encode_then_decode: topic_config(), true;
    topic_config_wrapper_survives_encode_then_decode: topic_config_wrapper(), true;
    register_broker_body_survives_encode_then_decode: register_broker_body(), true;
    cluster_info_survives_encode_then_decode: cluster_info(), true;
    lock_request_survives_encode_then_decode: lock_request(), true;
    unlock_request_survives_encode_then_decode: unlock_request(), true;
    lock_response_survives_encode_then_decode: lock_response(), true;
    topic_list_survives_encode_then_decode: topic_list(), true;
    kv_table_survives_encode_then_decode: kv_table(), true;
    consumer_list_survives_encode_then_decode: consumer_list(), true;
    check_client_survives_encode_then_decode: check_client(), true;
    subscription_group_survives_encode_then_decode: subscription_group(), true;
    subscription_group_wrapper_survives_encode_then_decode: subscription_group_wrapper(), true;
    consumer_offsets_survive_encode_then_decode: consumer_offsets(), true;
    connection_survives_encode_then_decode: connection(), true;
    consumer_connection_survives_encode_then_decode: consumer_connection(), true;
    producer_connection_survives_encode_then_decode: producer_connection(), true;
    offset_wrapper_survives_encode_then_decode: offset_wrapper(), true;
    topic_offset_survives_encode_then_decode: topic_offset(), true;
    consume_stats_survive_encode_then_decode: consume_stats(), false;
    topic_stats_survive_encode_then_decode: topic_stats(), false;
    reset_offset_survives_encode_then_decode: reset_offset(), false;
}
