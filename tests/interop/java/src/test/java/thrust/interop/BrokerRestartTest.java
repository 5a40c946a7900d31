package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 7, second half: the broker (SYNC_FLUSH) is killed with SIGKILL in the middle of a
 * stream of sync sends and started again on the same store (the runner's restart-broker.sh,
 * passed in -Dthrust.restartBroker). Every message the broker acknowledged with SEND_OK before
 * or after the crash is then consumed; sends that failed around the crash may or may not be.
 */
@ExtendWith(ResultLine.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BrokerRestartTest {
    private static final int BEFORE = 100;
    private static final int AFTER = 100;

    @Test
    void broker_restart_mid_stream_loses_nothing_acknowledged() throws Exception {
        String restart = System.getProperty("thrust.restartBroker", "");
        assertFalse(restart.isEmpty(), "run through scripts/interop.sh: -Dthrust.restartBroker is not set");
        String topic = Thrust.unique("T_restart");
        Set<String> acknowledged = new TreeSet<>();
        Set<String> attempted = new TreeSet<>();
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        producer.setSendMsgTimeout(3_000);
        try {
            for (int i = 0; i < BEFORE; i++) {
                send(producer, topic, "before-" + i, attempted, acknowledged);
            }
            assertEquals(BEFORE, acknowledged.size(), "all sends before the crash acknowledged");
            Process p = new ProcessBuilder("bash", restart).inheritIO().start();
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "restart-broker.sh finished");
            assertEquals(0, p.exitValue(), "the restarted broker listens");
            // Sends go on; those refused while the client reconnects are retried a few times.
            for (int i = 0; i < AFTER; i++) {
                String body = "after-" + i;
                for (int attempt = 0; attempt < 20 && !acknowledged.contains(body); attempt++) {
                    if (!send(producer, topic, body, attempted, acknowledged)) {
                        Thread.sleep(500);
                    }
                }
            }
            assertEquals(BEFORE + AFTER, acknowledged.size(), "sends after the restart acknowledged");
        } finally {
            producer.shutdown();
        }
        try (Collector c = Collector.concurrently(Thrust.unique("CG_restart"), topic, "*", "CLUSTERING")) {
            assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> c.bodies().containsAll(acknowledged)),
                    () -> "acknowledged but not consumed: " + missing(acknowledged, c.bodies()));
            for (MessageExt m : c.received) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                assertTrue(attempted.contains(body), "consumed a message never sent: " + body);
            }
        }
    }

    /** One sync send; true if the broker answered SEND_OK. */
    private static boolean send(DefaultMQProducer producer, String topic, String body, Set<String> attempted,
            Set<String> acknowledged) {
        attempted.add(body);
        try {
            SendResult r = producer.send(new Message(topic, "TagR", body, body.getBytes(StandardCharsets.UTF_8)));
            if (r.getSendStatus() == SendStatus.SEND_OK) {
                acknowledged.add(body);
                return true;
            }
        } catch (Exception e) {
            System.out.println("send " + body + " failed around the restart: " + e);
        }
        return false;
    }

    private static Set<String> missing(Set<String> want, Set<String> got) {
        Set<String> m = new TreeSet<>(want);
        m.removeAll(got);
        return m;
    }
}
