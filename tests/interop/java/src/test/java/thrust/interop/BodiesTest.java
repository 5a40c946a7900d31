package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scenario 9: big, compressed and over-limit bodies (broker maxMessageSize 4 MiB). */
@ExtendWith(ResultLine.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class BodiesTest {
    private static final int MIB = 1024 * 1024;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void roundTrip(byte[] body) throws Exception {
        String topic = Thrust.unique("T_body");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            Message m = new Message(topic, "TagA", "big", body);
            assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
        } finally {
            producer.shutdown();
        }
        try (Collector c = Collector.concurrently(Thrust.unique("CG"), topic, "*", "CLUSTERING")) {
            c.await(1);
            assertEquals(1, c.received.size());
            MessageExt got = c.received.peek();
            assertEquals(body.length, got.getBody().length, "body length");
            assertArrayEquals(body, got.getBody());
            assertEquals("big", got.getKeys());
        }
    }

    @Test
    void body_just_under_4_mib() throws Exception {
        // Random bytes: the client's zlib pass makes them ~0.1% larger, still under 4 MiB.
        roundTrip(random(4 * MIB - 16 * 1024, 1));
    }

    @Test
    void body_64_kib_compressible() throws Exception {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 64 * 1024) {
            sb.append("thrust compressible line ").append(sb.length() % 97).append('\n');
        }
        roundTrip(sb.substring(0, 64 * 1024).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void body_over_limit_refused() throws Exception {
        String topic = Thrust.unique("T_over");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        // Let the client pass it: the broker must refuse it.
        producer.setMaxMessageSize(8 * MIB);
        try {
            assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, "x".getBytes(StandardCharsets.UTF_8)))
                    .getSendStatus());
            Message m = new Message(topic, "TagA", random(4 * MIB + 64 * 1024, 2));
            MQBrokerException e = assertThrows(MQBrokerException.class, () -> producer.send(m));
            assertEquals(13, e.getResponseCode(), "MESSAGE_ILLEGAL: " + e.getErrorMessage());
            assertTrue(e.getErrorMessage() != null && !e.getErrorMessage().isEmpty(), "an error text");
            // The connection is still usable afterwards.
            assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, "y".getBytes(StandardCharsets.UTF_8)))
                    .getSendStatus());
        } finally {
            producer.shutdown();
        }
    }
}
