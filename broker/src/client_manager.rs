//! Producer and consumer clients by group, as learnt from HEART_BEAT.
//!
//! Owned by shard 0. Every shard forwards heartbeats, unregistrations and
//! connection closes here; shard 0 decides whether a consumer group's
//! membership changed (then the processors send NOTIFY_CONSUMER_IDS_CHANGED
//! to each member) and publishes the subscriptions as an immutable
//! [`SubscriptionSnapshot`] that pull processors on every shard read.
//!
//! A channel is a connection named by its shard and its per-shard id. A
//! channel silent for `channelExpiredTimeout` (120 s) is dropped by
//! [`ClientManager::scan_expired`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// A client connection anywhere in the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelKey {
    pub shard: u16,
    pub connection: u64,
}

/// A topic subscription of a consumer group (TAG expressions only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub topic: String,
    pub sub_string: String,
    pub expression_type: String,
    /// Tag hashes recomputed from the tag strings (never trusted from the
    /// client: Go hashes UTF-8 and sends strings). Empty ⇒ subscribe all.
    pub codes: BTreeSet<i32>,
    pub sub_version: i64,
}

impl Subscription {
    /// Builds a subscription from an expression (`*`, `""` or `a || b`).
    pub fn from_expression(topic: &str, expression: &str, sub_version: i64) -> Self {
        let tags = parse_tags(expression);
        let sub_string = if tags.is_empty() {
            "*".to_string()
        } else {
            expression.to_string()
        };
        Subscription {
            topic: topic.to_string(),
            sub_string,
            expression_type: "TAG".to_string(),
            codes: tags.iter().map(|t| java_string_hash(t)).collect(),
            sub_version,
        }
    }

    /// Builds from the heartbeat's tag set (the authoritative tag strings).
    pub fn from_tags(topic: &str, sub_string: &str, tags: &[String], sub_version: i64) -> Self {
        let codes: BTreeSet<i32> = tags.iter().map(|t| java_string_hash(t)).collect();
        let sub_string = if codes.is_empty() {
            "*".to_string()
        } else {
            sub_string.to_string()
        };
        Subscription {
            topic: topic.to_string(),
            sub_string,
            expression_type: "TAG".to_string(),
            codes,
            sub_version,
        }
    }

    /// Whether a consume-queue entry with `tags_code` passes (§7).
    pub fn matches(&self, tags_code: i64) -> bool {
        // Apache compares the low 32 bits: `(int) tagsCode`.
        self.codes.is_empty() || self.codes.contains(&(tags_code as i32))
    }
}

/// Tags of an expression: split on `||`, trimmed, empties dropped; `*` ⇒ all.
pub fn parse_tags(expression: &str) -> Vec<String> {
    let expression = expression.trim();
    if expression.is_empty() || expression == "*" {
        return Vec::new();
    }
    expression
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Java `String.hashCode` over UTF-16 code units (REMOTING.md §7, trap 5).
pub fn java_string_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// What a consumer's heartbeat says about one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerHeartbeat {
    pub group: String,
    pub client_id: String,
    pub consume_type: String,
    pub message_model: String,
    pub consume_from_where: String,
    pub subscriptions: Vec<Subscription>,
    /// Heartbeat V2 `withoutSub`: the subscriptions were left out and the
    /// registered ones stay.
    pub without_subscriptions: bool,
}

#[derive(Debug, Clone)]
struct Member {
    client_id: String,
    last_update_ms: i64,
}

#[derive(Debug, Default)]
struct ConsumerGroup {
    members: BTreeMap<ChannelKey, Member>,
    subscriptions: BTreeMap<String, Subscription>,
    message_model: String,
    consume_type: String,
    consume_from_where: String,
}

/// What admin tools see of a client connection (from its heartbeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The peer's `ip:port`.
    pub addr: String,
    /// Java `LanguageCode` name.
    pub language: String,
    /// The client's remoting version.
    pub version: i32,
}

/// One client connection of a group, for admin answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupMember {
    pub client_id: String,
    pub info: ClientInfo,
}

/// A consumer group as admin tools see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerGroupView {
    pub members: Vec<GroupMember>,
    pub subscriptions: Vec<Subscription>,
    pub message_model: String,
    pub consume_type: String,
    pub consume_from_where: String,
}

/// Subscriptions of every group, published to all shards after a change.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    pub groups: HashMap<String, GroupSubscriptions>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GroupSubscriptions {
    pub message_model: String,
    pub by_topic: BTreeMap<String, Subscription>,
}

/// Result of registering a consumer heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegisterOutcome {
    /// A member joined (new channel): notify the group.
    pub members_changed: bool,
    /// The group's subscriptions changed: republish the snapshot.
    pub subscriptions_changed: bool,
}

/// Producer and consumer registrations (shard 0).
#[derive(Debug, Default)]
pub struct ClientManager {
    consumers: HashMap<String, ConsumerGroup>,
    producers: HashMap<String, BTreeMap<ChannelKey, Member>>,
    /// Address, language and version of each channel that sent a heartbeat.
    infos: HashMap<ChannelKey, ClientInfo>,
}

impl ClientManager {
    /// Registers (or refreshes) one consumer group entry of a heartbeat.
    pub fn register_consumer(
        &mut self,
        channel: ChannelKey,
        heartbeat: ConsumerHeartbeat,
        now_ms: i64,
    ) -> RegisterOutcome {
        let group = self.consumers.entry(heartbeat.group.clone()).or_default();
        let member = Member {
            client_id: heartbeat.client_id.clone(),
            last_update_ms: now_ms,
        };
        let previous = group.members.insert(channel, member);
        let members_changed = previous
            .as_ref()
            .map(|p| p.client_id != heartbeat.client_id)
            .unwrap_or(true);
        // As Apache's ConsumerGroupInfo.updateSubscription: a topic's
        // subscription is replaced only by a newer subVersion (members'
        // heartbeats arrive in any order; an older one must not undo a
        // newer, or the newest member's pulls are refused as "not latest"
        // until it heartbeats again — forever if it always heartbeats
        // first), topics the heartbeat lacks are dropped.
        let subscriptions: BTreeMap<String, Subscription> = if heartbeat.without_subscriptions {
            group.subscriptions.clone()
        } else {
            heartbeat
                .subscriptions
                .into_iter()
                .map(|new| match group.subscriptions.get(&new.topic) {
                    Some(old) if old.sub_version >= new.sub_version => {
                        (new.topic.clone(), old.clone())
                    }
                    _ => (new.topic.clone(), new),
                })
                .collect()
        };
        let subscriptions_changed =
            group.subscriptions != subscriptions || group.message_model != heartbeat.message_model;
        group.subscriptions = subscriptions;
        group.message_model = heartbeat.message_model;
        group.consume_type = heartbeat.consume_type;
        group.consume_from_where = heartbeat.consume_from_where;
        RegisterOutcome {
            members_changed,
            subscriptions_changed,
        }
    }

    /// Registers (or refreshes) a producer channel of `group`.
    pub fn register_producer(
        &mut self,
        channel: ChannelKey,
        group: &str,
        client_id: &str,
        now_ms: i64,
    ) {
        let member = Member {
            client_id: client_id.to_string(),
            last_update_ms: now_ms,
        };
        self.producers
            .entry(group.to_string())
            .or_default()
            .insert(channel, member);
    }

    /// Removes `client_id` from a consumer group. Returns whether a member left.
    pub fn unregister_consumer(&mut self, group: &str, client_id: &str) -> bool {
        let Some(entry) = self.consumers.get_mut(group) else {
            return false;
        };
        let before = entry.members.len();
        entry.members.retain(|_, m| m.client_id != client_id);
        let changed = entry.members.len() != before;
        if entry.members.is_empty() {
            self.consumers.remove(group);
        }
        changed
    }

    /// Removes `client_id` from a producer group.
    pub fn unregister_producer(&mut self, group: &str, client_id: &str) {
        if let Some(members) = self.producers.get_mut(group) {
            members.retain(|_, m| m.client_id != client_id);
            if members.is_empty() {
                self.producers.remove(group);
            }
        }
    }

    /// Drops a closed channel everywhere. Returns the consumer groups that
    /// lost a member.
    pub fn channel_closed(&mut self, channel: ChannelKey) -> Vec<String> {
        self.remove_channels(|key, _| *key == channel)
    }

    /// Drops channels silent for more than `timeout_ms`. Returns the
    /// consumer groups that lost a member.
    pub fn scan_expired(&mut self, now_ms: i64, timeout_ms: i64) -> Vec<String> {
        self.remove_channels(|_, m| now_ms.saturating_sub(m.last_update_ms) > timeout_ms)
    }

    fn remove_channels(&mut self, dead: impl Fn(&ChannelKey, &Member) -> bool) -> Vec<String> {
        let mut changed = Vec::new();
        for (name, group) in self.consumers.iter_mut() {
            let before = group.members.len();
            group.members.retain(|k, m| !dead(k, m));
            if group.members.len() != before {
                changed.push(name.clone());
            }
        }
        self.consumers.retain(|_, g| !g.members.is_empty());
        for members in self.producers.values_mut() {
            members.retain(|k, m| !dead(k, m));
        }
        self.producers.retain(|_, m| !m.is_empty());
        let (consumers, producers) = (&self.consumers, &self.producers);
        self.infos.retain(|key, _| {
            consumers.values().any(|g| g.members.contains_key(key))
                || producers.values().any(|m| m.contains_key(key))
        });
        changed.sort();
        changed
    }

    /// Records the address, language and version a channel's client sent.
    pub fn note_client_info(&mut self, channel: ChannelKey, info: ClientInfo) {
        self.infos.insert(channel, info);
    }

    /// A consumer group's members and subscriptions; `None` if it has none.
    pub fn consumer_group_view(&self, group: &str) -> Option<ConsumerGroupView> {
        let entry = self.consumers.get(group)?;
        Some(ConsumerGroupView {
            members: self.members_view(&entry.members),
            subscriptions: entry.subscriptions.values().cloned().collect(),
            message_model: entry.message_model.clone(),
            consume_type: entry.consume_type.clone(),
            consume_from_where: entry.consume_from_where.clone(),
        })
    }

    /// A producer group's members (empty if none).
    pub fn producer_members(&self, group: &str) -> Vec<GroupMember> {
        self.producers
            .get(group)
            .map(|members| self.members_view(members))
            .unwrap_or_default()
    }

    fn members_view(&self, members: &BTreeMap<ChannelKey, Member>) -> Vec<GroupMember> {
        members
            .iter()
            .map(|(key, m)| GroupMember {
                client_id: m.client_id.clone(),
                info: self.infos.get(key).cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// Client ids of a consumer group, sorted and unique (empty if none).
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        let Some(entry) = self.consumers.get(group) else {
            return Vec::new();
        };
        let ids: BTreeSet<&str> = entry
            .members
            .values()
            .map(|m| m.client_id.as_str())
            .collect();
        ids.into_iter().map(str::to_string).collect()
    }

    /// Channels of a consumer group (to notify).
    pub fn consumer_channels(&self, group: &str) -> Vec<ChannelKey> {
        self.consumers
            .get(group)
            .map(|g| g.members.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Whether any client is registered over `channel`.
    pub fn has_channel(&self, channel: ChannelKey) -> bool {
        self.consumers
            .values()
            .any(|g| g.members.contains_key(&channel))
            || self.producers.values().any(|m| m.contains_key(&channel))
    }

    /// Snapshot of every group's subscriptions, for pull processors.
    pub fn subscription_snapshot(&self) -> Arc<SubscriptionSnapshot> {
        let groups = self
            .consumers
            .iter()
            .map(|(name, g)| {
                let subs = GroupSubscriptions {
                    message_model: g.message_model.clone(),
                    by_topic: g.subscriptions.clone(),
                };
                (name.clone(), subs)
            })
            .collect();
        Arc::new(SubscriptionSnapshot { groups })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb(group: &str, client: &str, expression: &str) -> ConsumerHeartbeat {
        ConsumerHeartbeat {
            group: group.to_string(),
            client_id: client.to_string(),
            consume_type: "CONSUME_PASSIVELY".to_string(),
            message_model: "CLUSTERING".to_string(),
            consume_from_where: "CONSUME_FROM_LAST_OFFSET".to_string(),
            subscriptions: vec![Subscription::from_expression("T", expression, 1)],
            without_subscriptions: false,
        }
    }

    fn ch(n: u64) -> ChannelKey {
        ChannelKey {
            shard: 0,
            connection: n,
        }
    }

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash("*"), 42);
        assert_eq!(java_string_hash("中文"), 646394);
    }

    #[test]
    fn tag_expression_matches_by_hash() {
        let s = Subscription::from_expression("T", "TagA || TagB", 1);
        assert!(s.matches(i64::from(java_string_hash("TagB"))));
        assert!(!s.matches(i64::from(java_string_hash("TagC"))));
        assert!(!s.matches(0));
        assert!(Subscription::from_expression("T", "*", 1).matches(0));
    }

    #[test]
    fn joining_member_changes_group_and_repeat_heartbeat_does_not() {
        let mut m = ClientManager::default();
        let first = m.register_consumer(ch(1), hb("g", "c1", "*"), 0);
        assert!(first.members_changed && first.subscriptions_changed);
        let again = m.register_consumer(ch(1), hb("g", "c1", "*"), 10);
        assert_eq!(again, RegisterOutcome::default());
        assert!(
            m.register_consumer(ch(2), hb("g", "c2", "*"), 10)
                .members_changed
        );
        assert_eq!(
            m.consumer_ids("g"),
            vec!["c1".to_string(), "c2".to_string()]
        );
        let mut newer = hb("g", "c2", "TagA");
        newer.subscriptions[0].sub_version = 2;
        assert!(m.register_consumer(ch(2), newer, 10).subscriptions_changed);
    }

    #[test]
    fn older_subscription_version_does_not_replace_a_newer_one() {
        let mut m = ClientManager::default();
        let mut newest = hb("g", "c2", "TagA");
        newest.subscriptions[0].sub_version = 7;
        m.register_consumer(ch(2), newest, 0);
        let mut older = hb("g", "c1", "*");
        older.subscriptions[0].sub_version = 5;
        let outcome = m.register_consumer(ch(1), older, 10);
        assert!(!outcome.subscriptions_changed);
        let snapshot = m.subscription_snapshot();
        let sub = &snapshot.groups["g"].by_topic["T"];
        assert_eq!(sub.sub_version, 7, "a pull at version 7 stays accepted");
        assert!(!sub.matches(0), "the newer TagA expression stays");
        let mut other_topic = hb("g", "c1", "*");
        other_topic.subscriptions[0].topic = "U".to_string();
        other_topic.subscriptions[0].sub_version = 1;
        assert!(
            m.register_consumer(ch(1), other_topic, 20)
                .subscriptions_changed
        );
        let snapshot = m.subscription_snapshot();
        let topics: Vec<&String> = snapshot.groups["g"].by_topic.keys().collect();
        assert_eq!(topics, ["U"], "topics the heartbeat lacks are dropped");
    }

    #[test]
    fn heartbeat_without_subscriptions_keeps_the_registered_ones() {
        let mut m = ClientManager::default();
        m.register_consumer(ch(1), hb("g", "c1", "TagA"), 0);
        let mut v2 = hb("g", "c1", "*");
        v2.subscriptions.clear();
        v2.without_subscriptions = true;
        assert_eq!(
            m.register_consumer(ch(1), v2, 5),
            RegisterOutcome::default()
        );
        let snapshot = m.subscription_snapshot();
        let sub = &snapshot.groups["g"].by_topic["T"];
        assert!(sub.matches(i64::from(java_string_hash("TagA"))));
        assert!(!sub.matches(0));
    }

    #[test]
    fn closed_or_silent_channels_leave_their_groups() {
        let mut m = ClientManager::default();
        m.register_consumer(ch(1), hb("g", "c1", "*"), 0);
        m.register_consumer(ch(2), hb("g", "c2", "*"), 100_000);
        m.register_producer(ch(1), "pg", "c1", 0);
        assert_eq!(m.channel_closed(ch(9)), Vec::<String>::new());
        assert_eq!(m.scan_expired(130_000, 120_000), vec!["g".to_string()]);
        assert_eq!(m.consumer_ids("g"), vec!["c2".to_string()]);
        assert!(!m.has_channel(ch(1)));
        assert_eq!(m.channel_closed(ch(2)), vec!["g".to_string()]);
        assert!(m.consumer_ids("g").is_empty());
        assert!(!m.unregister_consumer("g", "c2"));
    }
}
