package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scenario 2: push consumer, clustering; exact messages and a tag filter. */
@ExtendWith(ResultLine.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class PushConsumerTest {
    @Test
    void push_clustering_exact_messages() throws Exception {
        String topic = Thrust.unique("T_push");
        int n = 20;
        long before = System.currentTimeMillis();
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            for (int i = 0; i < n; i++) {
                Message m = new Message(topic, "Tag" + (i % 3), "key-" + i,
                        ("body-" + i).getBytes(StandardCharsets.UTF_8));
                m.putUserProperty("idx", Integer.toString(i));
                m.putUserProperty("color", i % 2 == 0 ? "red" : "blue");
                assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
            }
        } finally {
            producer.shutdown();
        }
        long after = System.currentTimeMillis();
        try (Collector c = Collector.concurrently(Thrust.unique("CG"), topic, "*", "CLUSTERING")) {
            c.await(n);
            assertEquals(n, c.received.size(), "count: " + c.bodies());
            Set<String> seen = new TreeSet<>();
            for (MessageExt m : c.received) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                assertTrue(body.startsWith("body-"), body);
                int i = Integer.parseInt(body.substring(5));
                assertTrue(seen.add(body), "duplicate " + body);
                assertEquals(topic, m.getTopic());
                assertEquals("Tag" + (i % 3), m.getTags(), body);
                assertEquals("key-" + i, m.getKeys(), body);
                assertEquals(Integer.toString(i), m.getUserProperty("idx"), body);
                assertEquals(i % 2 == 0 ? "red" : "blue", m.getUserProperty("color"), body);
                assertNotNull(m.getMsgId(), body);
                assertTrue(m.getBornTimestamp() >= before - 1_000 && m.getBornTimestamp() <= after + 1_000,
                        "born timestamp " + m.getBornTimestamp());
                assertTrue(m.getStoreTimestamp() >= m.getBornTimestamp() - 5_000,
                        "store timestamp " + m.getStoreTimestamp());
                InetSocketAddress born = (InetSocketAddress) m.getBornHost();
                assertEquals("127.0.0.1", born.getAddress().getHostAddress(), "born host");
                assertEquals(0, m.getReconsumeTimes());
            }
        }
    }

    @Test
    void push_tag_filter_a_or_b() throws Exception {
        String topic = Thrust.unique("T_tags");
        Set<String> want = new TreeSet<>();
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            String[] tags = {"TagA", "TagB", "TagC", "TagAB"};
            for (int i = 0; i < 24; i++) {
                String tag = tags[i % tags.length];
                String body = tag + "-" + i;
                if (tag.equals("TagA") || tag.equals("TagB")) {
                    want.add(body);
                }
                Message m = new Message(topic, tag, body.getBytes(StandardCharsets.UTF_8));
                assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
            }
            // Untagged message: not selected either.
            producer.send(new Message(topic, "untagged".getBytes(StandardCharsets.UTF_8)));
        } finally {
            producer.shutdown();
        }
        try (Collector c = Collector.concurrently(Thrust.unique("CG"), topic, "TagA || TagB",
                "CLUSTERING")) {
            c.await(want.size());
            Thread.sleep(2_000);
            assertEquals(want, c.bodies());
            assertEquals(want.size(), c.received.size(), "no duplicates");
        }
    }
}
