package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 11: mqadmin commands against Thrust. A topic with 10 messages and a running
 * consumer group that consumed them are set up once; each command is one test.
 */
@ExtendWith(ResultLine.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MqadminTest {
    private final String topic = Thrust.unique("T_mqadmin");
    private final String group = Thrust.unique("CG_mqadmin");
    private Collector consumer;

    @BeforeAll
    void setUp() throws Exception {
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            for (int i = 0; i < 10; i++) {
                Message m = new Message(topic, "TagA", ("m" + i).getBytes(StandardCharsets.UTF_8));
                assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
            }
        } finally {
            producer.shutdown();
        }
        consumer = Collector.concurrently(group, topic, "*", "CLUSTERING");
        consumer.await(10);
        consumer.consumer.getDefaultMQPushConsumerImpl().persistConsumerOffset();
        Thread.sleep(2_000);
    }

    @AfterAll
    void tearDown() {
        if (consumer != null) {
            consumer.close();
        }
    }

    private static void contains(Thrust.Admin a, String... needles) {
        for (String n : needles) {
            assertTrue(a.output().contains(n), "expected '" + n + "' in:\n" + a.output());
        }
    }

    @Test
    void mqadmin_clusterList() throws Exception {
        contains(Thrust.mqadminOk("clusterList"), Thrust.cluster(), Thrust.brokerName(), Thrust.broker());
    }

    @Test
    void mqadmin_topicList() throws Exception {
        contains(Thrust.mqadminOk("topicList"), topic);
    }

    @Test
    void mqadmin_topicRoute() throws Exception {
        contains(Thrust.mqadminOk("topicRoute", "-t", topic), Thrust.brokerName(), Thrust.broker());
    }

    @Test
    void mqadmin_topicStatus() throws Exception {
        Thrust.Admin a = Thrust.mqadminOk("topicStatus", "-t", topic);
        contains(a, Thrust.brokerName(), "#Max Offset");
        long total = 0;
        for (String line : a.output().split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 4 && cols[0].equals(Thrust.brokerName())) {
                total += Long.parseLong(cols[3]);
            }
        }
        assertEquals(10, total, "sum of max offsets:\n" + a.output());
    }

    @Test
    void mqadmin_updateTopic() throws Exception {
        String t = Thrust.unique("T_upd");
        contains(Thrust.mqadminOk("updateTopic", "-c", Thrust.cluster(), "-t", t, "-r", "8", "-w", "8"),
                "success");
        contains(Thrust.mqadminOk("topicList"), t);
    }

    @Test
    void mqadmin_deleteTopic() throws Exception {
        String t = Thrust.unique("T_del");
        Thrust.mqadminOk("updateTopic", "-c", Thrust.cluster(), "-t", t, "-r", "4", "-w", "4");
        contains(Thrust.mqadminOk("deleteTopic", "-c", Thrust.cluster(), "-t", t), "success");
    }

    @Test
    void mqadmin_consumerProgress() throws Exception {
        Thrust.Admin a = Thrust.mqadminOk("consumerProgress", "-g", group);
        contains(a, topic, Thrust.brokerName(), "Diff Total: 0");
    }

    @Test
    void mqadmin_consumerConnection() throws Exception {
        Thrust.Admin a = Thrust.mqadminOk("consumerConnection", "-g", group);
        contains(a, consumer.consumer.buildMQClientId(), "CLUSTERING", topic);
    }

    @Test
    void mqadmin_brokerStatus() throws Exception {
        Thrust.Admin a = Thrust.mqadminOk("brokerStatus", "-b", Thrust.broker());
        contains(a, "msgPutTotalTodayNow", "brokerVersion");
    }

    @Test
    void mqadmin_getBrokerConfig() throws Exception {
        Thrust.Admin a = Thrust.mqadminOk("getBrokerConfig", "-b", Thrust.broker());
        contains(a, "brokerName", Thrust.brokerName(), "brokerClusterName");
    }

    @Test
    void mqadmin_updateSubGroup() throws Exception {
        String g = Thrust.unique("CG_sub");
        contains(Thrust.mqadminOk("updateSubGroup", "-b", Thrust.broker(), "-g", g), "success");
    }

    @Test
    void mqadmin_getNamesrvConfig() throws Exception {
        Thrust.Admin a = Thrust.mqadminOk("getNamesrvConfig");
        contains(a, "listenPort");
    }
}
