package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scenario 1: sync, async, oneway, batch and ordered send. */
@ExtendWith(ResultLine.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SendTest {
    private static Message msg(String topic, String body) {
        return new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8));
    }

    private static Set<String> expected(String prefix, int n) {
        Set<String> s = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            s.add(prefix + i);
        }
        return s;
    }

    @Test
    void send_sync_async_oneway() throws Exception {
        String topic = Thrust.unique("T_send");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            for (int i = 0; i < 10; i++) {
                SendResult r = producer.send(msg(topic, "sync-" + i));
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                assertNotNull(r.getMsgId());
                assertNotNull(r.getOffsetMsgId());
                assertEquals(topic, r.getMessageQueue().getTopic());
            }
            CountDownLatch done = new CountDownLatch(10);
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < 10; i++) {
                producer.send(msg(topic, "async-" + i), new SendCallback() {
                    @Override
                    public void onSuccess(SendResult r) {
                        if (r.getSendStatus() != SendStatus.SEND_OK) {
                            errors.add(new AssertionError("status " + r.getSendStatus()));
                        }
                        done.countDown();
                    }

                    @Override
                    public void onException(Throwable e) {
                        errors.add(e);
                        done.countDown();
                    }
                });
            }
            assertTrue(done.await(Thrust.SCENARIO_WAIT_MS, TimeUnit.MILLISECONDS), "async callbacks");
            assertTrue(errors.isEmpty(), "async errors: " + errors);
            for (int i = 0; i < 10; i++) {
                producer.sendOneway(msg(topic, "oneway-" + i));
            }
        } finally {
            producer.shutdown();
        }
        Set<String> want = new TreeSet<>();
        want.addAll(expected("sync-", 10));
        want.addAll(expected("async-", 10));
        want.addAll(expected("oneway-", 10));
        try (Collector c = Collector.concurrently(Thrust.unique("CG"), topic, "*", "CLUSTERING")) {
            c.await(want.size());
            assertEquals(want, c.bodies());
            assertEquals(want.size(), c.received.size(), "no duplicates");
        }
    }

    @Test
    void send_batch() throws Exception {
        String topic = Thrust.unique("T_batch");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            // Auto-create the topic first: a batch goes to one queue.
            assertEquals(SendStatus.SEND_OK, producer.send(msg(topic, "first")).getSendStatus());
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Message m = msg(topic, "batch-" + i);
                m.setKeys("bk-" + i);
                batch.add(m);
            }
            SendResult r = producer.send(batch);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            assertEquals(10, r.getMsgId().split(",").length, "one msgId per message: " + r.getMsgId());
        } finally {
            producer.shutdown();
        }
        Set<String> want = expected("batch-", 10);
        want.add("first");
        try (Collector c = Collector.concurrently(Thrust.unique("CG"), topic, "*", "CLUSTERING")) {
            c.await(want.size());
            assertEquals(want, c.bodies());
            assertEquals(want.size(), c.received.size(), "no duplicates");
            int queue = -1;
            for (MessageExt m : c.received) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                if (body.startsWith("batch-")) {
                    assertEquals("bk-" + body.substring(6), m.getKeys());
                    if (queue < 0) {
                        queue = m.getQueueId();
                    }
                    assertEquals(queue, m.getQueueId(), "a batch lands in one queue");
                }
            }
        }
    }

    @Test
    void send_ordered_by_selector() throws Exception {
        String topic = Thrust.unique("T_order");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        Map<Integer, List<SendResult>> byOrder = new HashMap<>();
        try {
            assertEquals(SendStatus.SEND_OK, producer.send(msg(topic, "create")).getSendStatus());
            for (int i = 0; i < 40; i++) {
                int orderId = i % 4;
                SendResult r = producer.send(msg(topic, "o" + orderId + "-" + i),
                        (mqs, m, arg) -> mqs.get((Integer) arg % mqs.size()), orderId);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                byOrder.computeIfAbsent(orderId, k -> new ArrayList<>()).add(r);
            }
        } finally {
            producer.shutdown();
        }
        for (List<SendResult> rs : byOrder.values()) {
            MessageQueue q = rs.get(0).getMessageQueue();
            long last = -1;
            for (SendResult r : rs) {
                assertEquals(q, r.getMessageQueue(), "same order id, same queue");
                assertTrue(r.getQueueOffset() > last, "queue offsets increase");
                last = r.getQueueOffset();
            }
        }
    }
}
