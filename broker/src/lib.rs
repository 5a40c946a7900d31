//! # thrust-broker
//!
//! The shard-per-core broker (DESIGN.md "Threads and shards"): N glommio
//! executors, each owning the MessageQueues that [`ownership::owner`] gives
//! it and their store; requests for another shard's queue are forwarded over
//! a channel mesh ([`router`]). Shard 0 owns topic and group configuration,
//! clients and locks ([`control`], the control plane) and publishes
//! immutable snapshots to the others. Depends on `core` (wire types), `net`
//! (server, client) and `storage` (the per-shard store).
//!
//! Main pieces: [`config`] (broker.conf + flags), [`runtime`] (threads,
//! start/stop), [`shard`] (per-shard state), [`processor`] (send, pull,
//! offsets), [`control`] (heartbeats, groups, locks, topics admin),
//! [`registration`] (name servers).
#![forbid(unsafe_code)]

pub mod client_manager;
pub mod config;
pub mod consumer_offset;
pub mod control;
pub mod delay_offset;
pub mod handler;
pub mod lock_manager;
pub mod ownership;
pub mod persist;
pub mod processor;
pub mod queue_store;
pub mod registration;
pub mod router;
pub mod runtime;
pub mod schedule;
pub mod shard;
pub mod subscription_group;
pub mod topic_config;
