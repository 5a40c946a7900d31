package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scenarios 3, 4, 5 and 7 (consumer part): sharing, broadcast, orderly, resume. */
@ExtendWith(ResultLine.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConsumeModesTest {
    /** Sends `n` messages "prefix-i" (tag TagA) to topic; the topic gets `queues` queues. */
    static Set<String> send(String topic, String prefix, int n, int queues) throws Exception {
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        producer.setDefaultTopicQueueNums(queues);
        Set<String> bodies = new TreeSet<>();
        try {
            for (int i = 0; i < n; i++) {
                String body = prefix + "-" + i;
                Message m = new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8));
                assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
                bodies.add(body);
            }
        } finally {
            producer.shutdown();
        }
        return bodies;
    }

    /** Queues of the scenario's topic (not %RETRY%group) this consumer pulls from. */
    private static int ownedQueues(Collector c) {
        return (int) c.consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable()
                .keySet().stream().filter(q -> q.getTopic().equals(c.topic)).count();
    }

    /** Per consumer: queues it owns and the group members the broker told it of. */
    private static String describe(List<Collector> cs, String topic, String group) {
        StringBuilder sb = new StringBuilder();
        for (Collector c : cs) {
            List<String> ids = c.consumer.getDefaultMQPushConsumerImpl().getmQClientFactory()
                    .findConsumerIdList(topic, group);
            sb.append("[owns ").append(ownedQueues(c)).append(" queues, sees ")
                    .append(ids == null ? "null" : ids.size()).append(" members] ");
        }
        return sb.toString();
    }

    private static Set<String> missing(Set<String> want, Set<String> got) {
        Set<String> m = new TreeSet<>(want);
        m.removeAll(got);
        return m;
    }

    private static Set<String> union(List<Collector> cs) {
        Set<String> all = new TreeSet<>();
        cs.forEach(c -> all.addAll(c.bodies()));
        return all;
    }

    /** How many deliveries, over all consumers, carried one of `bodies`. */
    private static long deliveries(List<Collector> cs, Set<String> bodies) {
        return cs.stream().flatMap(c -> c.received.stream())
                .filter(m -> bodies.contains(new String(m.getBody(), StandardCharsets.UTF_8)))
                .count();
    }

    /** Prints (test output file), per consumer, its client id and deliveries as queueId:queueOffset:body. */
    private static void dump(String what, List<Collector> cs) {
        StringBuilder sb = new StringBuilder(what + ":\n");
        for (Collector c : cs) {
            sb.append("  ").append(c.consumer.buildMQClientId()).append(" owns ").append(ownedQueues(c)).append(":");
            for (MessageExt m : c.received) {
                sb.append(' ').append(m.getQueueId()).append(':').append(m.getQueueOffset()).append(':')
                        .append(new String(m.getBody(), StandardCharsets.UTF_8));
            }
            sb.append('\n');
        }
        System.out.println(sb);
    }

    private static int total(List<Collector> cs) {
        return cs.stream().mapToInt(c -> c.received.size()).sum();
    }

    @Test
    void three_consumers_share_then_one_leaves() throws Exception {
        String topic = Thrust.unique("T_share");
        String group = Thrust.unique("CG_share");
        // A lone consumer drains a first batch; two more join. While queues move
        // between members of a group RocketMQ is at-least-once (a queue taken
        // over before its previous owner's offset commit arrives is re-read;
        // Apache brokers do the same), so "each message once" is checked on the
        // batch sent after the three consumers have settled on their queues.
        Set<String> want = send(topic, "a", 8, 8);
        List<Collector> cs = new ArrayList<>();
        try {
            cs.add(Collector.concurrently(group, topic, "*", "CLUSTERING"));
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> total(cs) >= want.size()),
                    () -> "first consumer drains the first batch: " + describe(cs, topic, group));
            for (int i = 0; i < 2; i++) {
                cs.add(Collector.concurrently(group, topic, "*", "CLUSTERING"));
            }
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> cs.stream().allMatch(c -> ownedQueues(c) > 0)
                    && cs.stream().mapToInt(ConsumeModesTest::ownedQueues).sum() == 8),
                    () -> "8 queues spread over 3 consumers: " + describe(cs, topic, group));
            Set<String> settled = send(topic, "b", 40, 8);
            want.addAll(settled);
            boolean allB = Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> union(cs).containsAll(want));
            if (!allB) {
                dump("deliveries after the settled batch", cs);
            }
            assertTrue(allB,
                    () -> "received " + total(cs) + " of " + want.size() + ", missing "
                            + missing(want, union(cs)) + "; " + describe(cs, topic, group));
            Thread.sleep(1_000);
            assertEquals(want, union(cs));
            assertEquals(settled.size(), deliveries(cs, settled),
                    "each message sent to the settled group consumed once");

            Collector leaving = cs.remove(2);
            leaving.close();
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS,
                    () -> cs.stream().mapToInt(ConsumeModesTest::ownedQueues).sum() == 8),
                    () -> "the two remaining consumers take over all 8 queues: " + describe(cs, topic, group));
            Set<String> later = send(topic, "c", 40, 8);
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> union(cs).containsAll(later)),
                    "messages after the leave are all consumed");
        } finally {
            cs.forEach(Collector::close);
        }
    }

    /** The subscription version a member's pulls carry (set at its last rebalance change). */
    private static long subVersion(Collector c) {
        return c.consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getSubscriptionInner()
                .get(c.topic).getSubVersion();
    }

    private static void heartbeat(Collector c) {
        c.consumer.getDefaultMQPushConsumerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
    }

    /**
     * Regression for the java4 flake of three_consumers_share_then_one_leaves: each member
     * pulls with the subscription version of its own last rebalance, and the broker must keep
     * the newest version any member sent (Apache: ConsumerGroupInfo.updateSubscription only
     * replaces a topic's subscription by a newer one). A member whose heartbeat carries an
     * older version must not make the broker answer SUBSCRIPTION_NOT_LATEST to the member with
     * the newest one, whatever order their heartbeats arrive in.
     */
    @Test
    void older_member_heartbeat_does_not_starve_newest_member() throws Exception {
        String topic = Thrust.unique("T_subver");
        String group = Thrust.unique("CG_subver");
        Set<String> want = send(topic, "a", 8, 8);
        List<Collector> cs = new ArrayList<>();
        AtomicBoolean hammering = new AtomicBoolean(true);
        Thread hammer = null;
        try {
            for (int i = 0; i < 2; i++) {
                cs.add(Collector.concurrently(group, topic, "*", "CLUSTERING"));
            }
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> cs.stream().allMatch(c -> ownedQueues(c) == 4)
                    && union(cs).containsAll(want)),
                    () -> "2 members with 4 queues each drain the first batch: " + describe(cs, topic, group));
            Thread.sleep(1_000);
            Collector newest = subVersion(cs.get(0)) >= subVersion(cs.get(1)) ? cs.get(0) : cs.get(1);
            Collector older = newest == cs.get(0) ? cs.get(1) : cs.get(0);
            if (subVersion(newest) == subVersion(older)) {
                // Same millisecond: make one newer, as the client does on a rebalance change.
                newest.consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getSubscriptionInner()
                        .get(topic).setSubVersion(subVersion(older) + 1);
            }
            System.out.println("sub versions: newest " + subVersion(newest) + ", older " + subVersion(older));
            heartbeat(newest);
            // From now on the older member's heartbeat is always the last one the broker saw.
            hammer = new Thread(() -> {
                while (hammering.get()) {
                    heartbeat(older);
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            hammer.start();
            Thread.sleep(1_000);
            Set<String> later = send(topic, "b", 40, 8);
            boolean all = Thrust.waitFor(25_000, () -> union(cs).containsAll(later));
            if (!all) {
                dump("deliveries (newest member " + newest.consumer.buildMQClientId() + ")", cs);
            }
            assertTrue(all, () -> "all messages consumed within 25 s (less than a heartbeat period); missing "
                    + missing(later, union(cs)) + "; " + describe(cs, topic, group));
        } finally {
            hammering.set(false);
            if (hammer != null) {
                hammer.join(5_000);
            }
            cs.forEach(Collector::close);
        }
    }

    @Test
    void broadcast_every_consumer_gets_every_message() throws Exception {
        String topic = Thrust.unique("T_bcast");
        String group = Thrust.unique("CG_bcast");
        Set<String> want = send(topic, "m", 20, 4);
        List<Collector> cs = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                cs.add(Collector.concurrently(group, topic, "*", "BROADCASTING"));
            }
            for (Collector c : cs) {
                c.await(want.size());
                assertEquals(want, c.bodies());
                assertEquals(want.size(), c.received.size(), "no duplicates");
            }
        } finally {
            cs.forEach(Collector::close);
        }
    }

    @Test
    void orderly_keeps_per_key_order() throws Exception {
        String topic = Thrust.unique("T_orderly");
        int keys = 12;
        int perKey = 20;
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        producer.setDefaultTopicQueueNums(8);
        try {
            assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, "TagX",
                    "create".getBytes(StandardCharsets.UTF_8))).getSendStatus());
            for (int i = 0; i < perKey; i++) {
                for (int k = 0; k < keys; k++) {
                    Message m = new Message(topic, "TagA", "order-" + k,
                            ("k" + k + ":" + i).getBytes(StandardCharsets.UTF_8));
                    assertEquals(SendStatus.SEND_OK, producer.send(m,
                            (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), k).getSendStatus());
                }
            }
        } finally {
            producer.shutdown();
        }
        try (Collector c = Collector.orderly(Thrust.unique("CG_orderly"), topic, "TagA")) {
            c.await(keys * perKey);
            Map<String, List<Integer>> seq = new HashMap<>();
            for (MessageExt m : c.received) {
                String[] kv = new String(m.getBody(), StandardCharsets.UTF_8).split(":");
                seq.computeIfAbsent(kv[0], x -> new ArrayList<>()).add(Integer.parseInt(kv[1]));
            }
            assertEquals(keys, seq.size(), "keys seen");
            List<Integer> inOrder = new ArrayList<>();
            for (int i = 0; i < perKey; i++) {
                inOrder.add(i);
            }
            for (Map.Entry<String, List<Integer>> e : seq.entrySet()) {
                assertEquals(inOrder, e.getValue(), "order of " + e.getKey());
            }
        }
    }

    @Test
    void resume_from_committed_offset() throws Exception {
        String topic = Thrust.unique("T_resume");
        String group = Thrust.unique("CG_resume");
        Set<String> first = send(topic, "first", 15, 4);
        try (Collector c = Collector.concurrently(group, topic, "*", "CLUSTERING")) {
            c.await(first.size());
            assertEquals(first, c.bodies());
        } // shutdown persists the consumed offsets to the broker
        Set<String> second = send(topic, "second", 15, 4);
        try (Collector c = Collector.concurrently(group, topic, "*", "CLUSTERING")) {
            c.await(second.size());
            assertEquals(second, c.bodies(), "continues from the committed offset");
            assertEquals(second.size(), c.received.size(), "no duplicates");
        }
    }
}
