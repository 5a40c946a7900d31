//! Connection lists on shard 0: GET_CONSUMER_CONNECTION_LIST (203) and
//! GET_PRODUCER_CONNECTION_LIST (204), from the client manager's heartbeat
//! records.

use thrust_core::body::{
    Connection, ConsumeFromWhere, ConsumeType, ConsumerConnection, JavaEnum, JsonBody,
    MessageModel, ProducerConnection, SubscriptionData,
};
use thrust_core::code::ResponseCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::header::{
    GetConsumerConnectionListRequestHeader, GetProducerConnectionListRequestHeader,
};

use super::Outcome;
use crate::client_manager::{GroupMember, Subscription};
use crate::processor::{decode_header, error_response, ok_response};
use crate::shard::ShardContext;

fn clients(shard: &ShardContext) -> Option<&crate::control::Control> {
    shard.control.as_ref()
}

fn connection(member: &GroupMember) -> Connection {
    Connection {
        client_addr: member.info.addr.clone(),
        client_id: member.client_id.clone(),
        language: member.info.language.clone(),
        version: member.info.version,
    }
}

/// The enum constant whose Rust name is `debug_name` (the client manager
/// keeps `{:?}` of the heartbeat's enums).
fn by_debug_name<T: JavaEnum + std::fmt::Debug>(debug_name: &str) -> Option<T> {
    T::ALL
        .iter()
        .copied()
        .find(|v| format!("{v:?}") == debug_name)
}

fn subscription_data(subscription: &Subscription) -> SubscriptionData {
    SubscriptionData {
        code_set: subscription.codes.iter().copied().collect(),
        expression_type: subscription.expression_type.clone(),
        sub_string: subscription.sub_string.clone(),
        sub_version: subscription.sub_version,
        tags_set: crate::client_manager::parse_tags(&subscription.sub_string),
        topic: subscription.topic.clone(),
        ..SubscriptionData::default()
    }
}

/// GET_CONSUMER_CONNECTION_LIST: CONSUMER_NOT_ONLINE if the group has no
/// live consumer.
pub fn consumer_connections(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetConsumerConnectionListRequestHeader = decode_header(command)?;
    let group = header.consumer_group;
    let view = clients(shard).and_then(|c| c.clients.borrow().consumer_group_view(&group));
    let Some(view) = view.filter(|v| !v.members.is_empty()) else {
        let remark = format!("the consumer group[{group}] not online");
        return Err(error_response(
            command,
            ResponseCode::CONSUMER_NOT_ONLINE,
            remark,
        ));
    };
    let body = ConsumerConnection {
        connection_set: view.members.iter().map(connection).collect(),
        consume_from_where: by_debug_name::<ConsumeFromWhere>(&view.consume_from_where),
        consume_type: by_debug_name::<ConsumeType>(&view.consume_type),
        message_model: by_debug_name::<MessageModel>(&view.message_model),
        subscription_table: view
            .subscriptions
            .iter()
            .map(|s| (s.topic.clone(), subscription_data(s)))
            .collect(),
    };
    Ok(ok_response(command).with_body(body.encode().into()))
}

/// GET_PRODUCER_CONNECTION_LIST: SYSTEM_ERROR if the group has no live
/// producer (as Java).
pub fn producer_connections(shard: &ShardContext, command: &RemotingCommand) -> Outcome {
    let header: GetProducerConnectionListRequestHeader = decode_header(command)?;
    let group = header.producer_group;
    let members = clients(shard)
        .map(|c| c.clients.borrow().producer_members(&group))
        .unwrap_or_default();
    if members.is_empty() {
        let remark = format!("the producer group[{group}] not exist");
        return Err(error_response(command, ResponseCode::SYSTEM_ERROR, remark));
    }
    let body = ProducerConnection {
        connection_set: members.iter().map(connection).collect(),
    };
    Ok(ok_response(command).with_body(body.encode().into()))
}
