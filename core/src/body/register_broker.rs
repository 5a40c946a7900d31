//! REGISTER_BROKER (103) body (REMOTING.md §4.2, §9.5): `RegisterBrokerBody`.
//!
//! Brokers older than V3_0_11 sent the topic wrapper itself as the body,
//! without the `filterServerList` envelope; [`RegisterBrokerBody::decode`]
//! accepts that shape too. The zlib-compressed form (`compressed=true`) is
//! not JSON and is not handled here (the Java broker never sends it).

use serde::{Deserialize, Serialize};

use crate::body::topic_config::TopicConfigSerializeWrapper;
use crate::body::{decode_serde, encode_serde, JsonBody};
use crate::error::DecodeError;

/// A broker's registration: its topic table and (legacy, empty) filter servers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBrokerBody {
    pub filter_server_list: Vec<String>,
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
}

/// What arrives on the wire: the current envelope, or the bare wrapper of
/// pre-V3_0_11 brokers, told apart by which members are present.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RegisterBrokerWire {
    filter_server_list: Vec<String>,
    topic_config_serialize_wrapper: Option<TopicConfigSerializeWrapper>,
    #[serde(flatten)]
    legacy: TopicConfigSerializeWrapper,
}

impl JsonBody for RegisterBrokerBody {
    const WHAT: &'static str = "RegisterBrokerBody";

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let wire: RegisterBrokerWire = decode_serde(Self::WHAT, bytes)?;
        let topic_config_serialize_wrapper = match wire.topic_config_serialize_wrapper {
            Some(wrapper) => wrapper,
            None => wire.legacy,
        };
        Ok(RegisterBrokerBody {
            filter_server_list: wire.filter_server_list,
            topic_config_serialize_wrapper,
        })
    }

    fn encode(&self) -> Vec<u8> {
        encode_serde(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_wrapper_from_old_brokers_is_accepted() {
        let body = br#"{"dataVersion":{"counter":3,"timestamp":7},
            "topicConfigTable":{"T":{"topicName":"T","readQueueNums":2,"writeQueueNums":2}}}"#;
        let parsed = RegisterBrokerBody::decode(body).unwrap();
        let wrapper = &parsed.topic_config_serialize_wrapper;
        assert_eq!(wrapper.data_version.counter, 3);
        assert_eq!(wrapper.topic_config_table["T"].read_queue_nums, 2);
        assert!(parsed.filter_server_list.is_empty());
    }
}
