package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 8: consumer retry (RECONSUME_LATER → %RETRY%group with delay level 3 + reconsumeTimes),
 * the dead-letter queue after maxReconsumeTimes, and producer delay levels. The broker runs
 * the default messageDelayLevel "1s 5s 10s 30s 1m 2m ...". Lower timing bounds only (a delayed
 * message must never come early); upper bounds are generous.
 */
@ExtendWith(ResultLine.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RetryDelayTest {
    /** Delay level 3 and 4 of the default messageDelayLevel, in ms. */
    private static final long LEVEL3_MS = 10_000;
    private static final long LEVEL4_MS = 30_000;
    /** A delivery may be this much earlier than its nominal delay (clock and rounding). */
    private static final long SLACK_MS = 1_000;

    /** One listener call for one message: when, and what it looked like. */
    record Delivery(long atMs, String body, String msgId, String topic, String queueTopic,
            int reconsumeTimes, String keys, String retryTopicProperty) {}

    /**
     * A started clustering push consumer whose listener records every delivery and returns
     * RECONSUME_LATER for the first `failures` deliveries (all of them if failures < 0).
     */
    private static DefaultMQPushConsumer recordingConsumer(String group, String topic, int failures,
            int maxReconsumeTimes, ConcurrentLinkedQueue<Delivery> out) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(Thrust.namesrv());
        c.setInstanceName(Thrust.unique("inst"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        Collector.setMessageModel(c, "CLUSTERING");
        c.setPersistConsumerOffsetInterval(1_000);
        if (maxReconsumeTimes >= 0) {
            c.setMaxReconsumeTimes(maxReconsumeTimes);
        }
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                out.add(new Delivery(now, new String(m.getBody(), StandardCharsets.UTF_8), m.getMsgId(),
                        m.getTopic(), ctx.getMessageQueue().getTopic(), m.getReconsumeTimes(), m.getKeys(),
                        m.getProperty(MessageConst.PROPERTY_RETRY_TOPIC)));
            }
            boolean fail = failures < 0 || out.size() <= failures;
            return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        return c;
    }

    private static SendResult sendOne(String topic, String keys, String body, int delayLevel) throws Exception {
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            Message m = new Message(topic, "TagR", keys, body.getBytes(StandardCharsets.UTF_8));
            if (delayLevel > 0) {
                m.setDelayTimeLevel(delayLevel);
            }
            SendResult r = producer.send(m);
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            return r;
        } finally {
            producer.shutdown();
        }
    }

    @Test
    void retry_reconsume_later_twice_then_success() throws Exception {
        String topic = Thrust.unique("T_retry");
        String group = Thrust.unique("CG_retry");
        String body = "retry-body-" + topic;
        SendResult sent = sendOne(topic, "rk-" + topic, body, 0);
        ConcurrentLinkedQueue<Delivery> got = new ConcurrentLinkedQueue<>();
        DefaultMQPushConsumer c = recordingConsumer(group, topic, 2, -1, got);
        try {
            // 1st delivery, then level 3 (10 s), then level 4 (30 s): ~40 s plus pull latency.
            // The 5.x client may need up to ~30 s more to start pulling (a SUBSCRIPTION_NOT_LATEST
            // race between its rebalance and its heartbeat; Apache brokers answer the same way)
            // or to learn the %RETRY% route (its 30 s route refresh), hence 120 s.
            assertTrue(Thrust.waitFor(120_000, () -> got.size() >= 3), () -> "3 deliveries within 120 s: " + got);
            Thread.sleep(3_000); // a 4th delivery would show up here
            List<Delivery> d = new ArrayList<>(got);
            System.out.println("retry deliveries: " + d);
            assertEquals(3, d.size(), "delivered exactly three times: " + d);
            for (int i = 0; i < 3; i++) {
                Delivery x = d.get(i);
                assertEquals(body, x.body(), "body of delivery " + i);
                assertEquals(sent.getMsgId(), x.msgId(), "msgId (UNIQ_KEY) of delivery " + i);
                assertEquals(topic, x.topic(), "topic seen by the listener, delivery " + i);
                assertEquals("rk-" + topic, x.keys(), "keys of delivery " + i);
                assertEquals(i, x.reconsumeTimes(), "reconsumeTimes of delivery " + i);
            }
            assertEquals(topic, d.get(0).queueTopic(), "first delivery from the topic itself");
            for (int i = 1; i < 3; i++) {
                assertEquals("%RETRY%" + group, d.get(i).queueTopic(), "redelivery " + i + " pulled from the retry topic");
                assertEquals(topic, d.get(i).retryTopicProperty(), "RETRY_TOPIC of redelivery " + i);
            }
            long gap1 = d.get(1).atMs() - d.get(0).atMs();
            long gap2 = d.get(2).atMs() - d.get(1).atMs();
            System.out.println("retry gaps: " + gap1 + " ms (level 3), " + gap2 + " ms (level 4)");
            assertTrue(gap1 >= LEVEL3_MS - SLACK_MS, "1st redelivery after >= 9 s, was " + gap1 + " ms");
            assertTrue(gap2 >= LEVEL4_MS - SLACK_MS, "2nd redelivery after >= 29 s, was " + gap2 + " ms");
        } finally {
            c.shutdown();
        }
    }

    @Test
    void dlq_after_max_reconsume_times() throws Exception {
        String topic = Thrust.unique("T_dlq");
        String group = Thrust.unique("CG_dlq");
        String body = "dlq-body-" + topic;
        String keys = "dk-" + topic;
        SendResult sent = sendOne(topic, keys, body, 0);
        ConcurrentLinkedQueue<Delivery> got = new ConcurrentLinkedQueue<>();
        DefaultMQPushConsumer c = recordingConsumer(group, topic, -1, 1, got);
        try {
            // Delivery 0 fails → retry (10 s); delivery 1 fails with reconsumeTimes 1 ≥ max 1 → DLQ.
            // (The 5.x client may learn the %RETRY% route only at its 30 s route refresh.)
            assertTrue(Thrust.waitFor(120_000, () -> got.size() >= 2), () -> "2 deliveries: " + got);
            // A wrong 3rd delivery would come after level 4 (30 s); the DLQ check below catches
            // that case (the DLQ would be empty).
            Thread.sleep(3_000);
            List<Delivery> d = new ArrayList<>(got);
            System.out.println("dlq deliveries: " + d);
            assertEquals(2, d.size(), "delivered twice with maxReconsumeTimes 1: " + d);
            assertEquals(0, d.get(0).reconsumeTimes());
            assertEquals(1, d.get(1).reconsumeTimes());
        } finally {
            c.shutdown();
        }

        String dlq = "%DLQ%" + group;
        DefaultLitePullConsumer pull = new DefaultLitePullConsumer(Thrust.unique("CG_dlqread"));
        pull.setNamesrvAddr(Thrust.namesrv());
        pull.setInstanceName(Thrust.unique("inst"));
        pull.setAutoCommit(false);
        pull.setPollTimeoutMillis(1_000);
        try {
            pull.start();
            List<MessageQueue> mqs = new ArrayList<>();
            // The DLQ topic is created by the send-back; its route reaches the name server with
            // the broker's next registration.
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> {
                try {
                    mqs.clear();
                    mqs.addAll(pull.fetchMessageQueues(dlq));
                    return !mqs.isEmpty();
                } catch (Exception e) {
                    return false;
                }
            }), "route of " + dlq);
            assertEquals(1, mqs.size(), "DLQ queues: " + mqs);
            MessageQueue q0 = mqs.get(0);
            assertEquals(0, q0.getQueueId());
            pull.assign(List.of(q0));
            pull.seek(q0, 0);
            List<MessageExt> in = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Thrust.SCENARIO_WAIT_MS);
            while (in.isEmpty() && System.nanoTime() < deadline) {
                in.addAll(pull.poll());
            }
            in.addAll(pull.poll(1_000));
            assertEquals(1, in.size(), "one message in " + dlq + ": " + in);
            MessageExt m = in.get(0);
            System.out.println("dlq message: " + m);
            assertEquals(dlq, m.getTopic());
            assertEquals(body, new String(m.getBody(), StandardCharsets.UTF_8));
            assertEquals(keys, m.getKeys());
            assertEquals("TagR", m.getTags());
            assertEquals(sent.getMsgId(), m.getMsgId(), "UNIQ_KEY kept");
            assertEquals(topic, m.getProperty(MessageConst.PROPERTY_RETRY_TOPIC), "RETRY_TOPIC = original topic");
            // Apache: the first send-back sets ORIGIN_MESSAGE_ID to the stored original's offset
            // msgId; later send-backs keep it.
            assertEquals(sent.getOffsetMsgId(), m.getProperty(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID),
                    "ORIGIN_MESSAGE_ID = offset msgId of the original");
            assertEquals(2, m.getReconsumeTimes(), "reconsumeTimes in the DLQ (0 → retry 1 → DLQ 2)");
        } finally {
            pull.shutdown();
        }
    }

    @Test
    void delay_level_2() throws Exception {
        String topic = Thrust.unique("T_delay");
        String group = Thrust.unique("CG_delay");
        String body = "delayed-" + topic;
        sendOne(topic, "warm", "warm-up", 0); // creates the topic
        ConcurrentLinkedQueue<Delivery> got = new ConcurrentLinkedQueue<>();
        DefaultMQPushConsumer c = recordingConsumer(group, topic, 0, -1, got);
        try {
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> got.size() >= 1),
                    "the consumer runs (warm-up message received)");
            Thread.sleep(1_000);
            long sentAt = System.currentTimeMillis();
            SendResult sent = sendOne(topic, "dl-" + topic, body, 2);
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS,
                    () -> got.stream().anyMatch(x -> x.body().equals(body))), "delayed message arrives");
            Thread.sleep(1_000);
            List<Delivery> mine = got.stream().filter(x -> x.body().equals(body)).toList();
            assertEquals(1, mine.size(), "delivered once: " + mine);
            Delivery x = mine.get(0);
            long delayMs = x.atMs() - sentAt;
            System.out.println("delay_level_2 measured delay: " + delayMs + " ms");
            assertTrue(delayMs >= 4_500, "delivered no earlier than 5 s - 0.5 s after the send, was " + delayMs + " ms");
            assertTrue(delayMs <= 30_000, "delivered within 30 s, was " + delayMs + " ms");
            assertEquals(topic, x.topic());
            assertEquals(topic, x.queueTopic());
            assertEquals(sent.getMsgId(), x.msgId());
            assertEquals("dl-" + topic, x.keys());
            assertEquals(0, x.reconsumeTimes());
        } finally {
            c.shutdown();
        }
    }
}
