//! GET_BROKER_CLUSTER_INFO (106) body (REMOTING.md §4.5, §9.6): `ClusterInfo`.
//!
//! Java writes this one with plain fastjson, so its `brokerAddrs` keys arrive
//! unquoted (`{0:"ip:port"}`); we read that and write quoted keys.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::body::route::BrokerData;

/// Every broker name with its addresses, and the broker names of each cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInfo {
    /// Broker name → its addresses.
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// Cluster name → broker names.
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

crate::body::serde_json_body! {
    ClusterInfo => "ClusterInfo",
}
