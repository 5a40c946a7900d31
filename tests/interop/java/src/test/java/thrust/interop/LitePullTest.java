package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scenario 6: lite pull consumer, subscribe and assign modes, with seek. */
@ExtendWith(ResultLine.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LitePullTest {
    private static DefaultLitePullConsumer consumer(String group) {
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(group);
        c.setNamesrvAddr(Thrust.namesrv());
        c.setInstanceName(Thrust.unique("inst"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setPollTimeoutMillis(1_000);
        return c;
    }

    /** Polls (bounded) until `n` messages arrived, then once more to catch extras. */
    private static List<MessageExt> pollMessages(DefaultLitePullConsumer c, int n) {
        List<MessageExt> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Thrust.SCENARIO_WAIT_MS);
        while (got.size() < n && System.nanoTime() < deadline) {
            got.addAll(c.poll());
        }
        got.addAll(c.poll(500));
        return got;
    }

    /** The deliveries from the last "q0-0" on (empty if none). */
    private static List<String> fromLastStart(List<String> bodies) {
        int start = bodies.lastIndexOf("q0-0");
        return start < 0 ? List.of() : bodies.subList(start, bodies.size());
    }

    private static List<String> pollUntil(DefaultLitePullConsumer c, int n) {
        List<String> got = new ArrayList<>();
        for (MessageExt m : pollMessages(c, n)) {
            got.add(new String(m.getBody(), StandardCharsets.UTF_8));
        }
        return got;
    }

    @Test
    void lite_pull_subscribe() throws Exception {
        String topic = Thrust.unique("T_lite");
        Set<String> want = ConsumeModesTest.send(topic, "lite", 20, 4);
        DefaultLitePullConsumer c = consumer(Thrust.unique("CG_lite"));
        try {
            c.subscribe(topic, "*");
            c.start();
            List<String> got = pollUntil(c, want.size());
            assertEquals(want, new TreeSet<>(got));
            assertEquals(want.size(), got.size(), "no duplicates");
        } finally {
            c.shutdown();
        }
    }

    @Test
    void lite_pull_assign_with_seek() throws Exception {
        String topic = Thrust.unique("T_assign");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        MessageQueue q0;
        try {
            assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, "TagA",
                    "create".getBytes(StandardCharsets.UTF_8))).getSendStatus());
            q0 = null;
            for (MessageQueue q : producer.fetchPublishMessageQueues(topic)) {
                if (q.getQueueId() == 0) {
                    q0 = q;
                }
            }
            assertTrue(q0 != null, "queue 0 exists");
            for (int i = 0; i < 10; i++) {
                SendResult r = producer.send(new Message(topic, "TagA",
                        ("q0-" + i).getBytes(StandardCharsets.UTF_8)), q0);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            }
        } finally {
            producer.shutdown();
        }
        DefaultLitePullConsumer c = consumer(Thrust.unique("CG_assign"));
        c.setAutoCommit(false);
        try {
            c.start();
            Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
            assertEquals(4, mqs.size(), "queues: " + mqs);
            c.assign(List.of(q0));
            c.seek(q0, 0);
            List<String> want = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                want.add("q0-" + i);
            }
            // assign() may start a pull before seek() lands; the 5.x client can then hand out
            // that batch before the re-read from offset 0 (client-side, the same against an
            // Apache broker). What seek promises is checked: from the last delivery of q0-0
            // on, queue 0 arrives complete and in order.
            List<String> all = new ArrayList<>();
            long q0Start = -1;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Thrust.SCENARIO_WAIT_MS);
            while (!fromLastStart(all).equals(want) && System.nanoTime() < deadline) {
                for (MessageExt m : c.poll(500)) {
                    String body = new String(m.getBody(), StandardCharsets.UTF_8);
                    if (body.startsWith("q0-")) { // "create" may also be in queue 0
                        all.add(body);
                    }
                    if (body.equals("q0-0")) {
                        q0Start = m.getQueueOffset();
                    }
                }
            }
            assertEquals(want, fromLastStart(all), "queue 0 in order from the start: " + all);
            c.seek(q0, q0Start + 6);
            assertEquals(List.of("q0-6", "q0-7", "q0-8", "q0-9"), pollUntil(c, 4), "after seek to q0-6");
        } finally {
            c.shutdown();
        }
    }
}
