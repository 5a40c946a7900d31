package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scenario 8: topic auto-create, updateTopic with 8 queues, deleteTopic. */
@ExtendWith(ResultLine.class)
@Timeout(value = 200, unit = TimeUnit.SECONDS)
class TopicAdminTest {
    @Test
    void topic_auto_create_on_first_send() throws Exception {
        String topic = Thrust.unique("T_auto");
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            SendResult r = producer.send(new Message(topic, "x".getBytes(StandardCharsets.UTF_8)));
            assertEquals(SendStatus.SEND_OK, r.getSendStatus());
            List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
            // The producer asks for defaultTopicQueueNums (4) queues.
            assertEquals(producer.getDefaultTopicQueueNums(), mqs.size(), "queues: " + mqs);
            for (MessageQueue q : mqs) {
                assertEquals(Thrust.brokerName(), q.getBrokerName());
            }
        } finally {
            producer.shutdown();
        }
        Thrust.Admin list = Thrust.mqadminOk("topicList");
        assertTrue(list.output().contains(topic), "topicList shows the auto-created topic");
    }

    @Test
    void topic_update_8_queues_and_delete() throws Exception {
        String topic = Thrust.unique("T_admin");
        Thrust.Admin up = Thrust.mqadminOk("updateTopic", "-c", Thrust.cluster(), "-t", topic, "-r", "8",
                "-w", "8");
        assertTrue(up.output().contains("success"), up.output());
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
            assertEquals(8, mqs.size(), "queues: " + mqs);
            Set<Integer> ids = new TreeSet<>();
            for (MessageQueue q : mqs) {
                SendResult r = producer.send(new Message(topic, ("q" + q.getQueueId())
                        .getBytes(StandardCharsets.UTF_8)), q);
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                assertEquals(q, r.getMessageQueue());
                ids.add(q.getQueueId());
            }
            assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7), ids);
        } finally {
            producer.shutdown();
        }
        Thrust.Admin route = Thrust.mqadminOk("topicRoute", "-t", topic);
        assertTrue(route.output().contains("\"readQueueNums\":8") || route.output().contains("\"readQueueNums\" : 8"),
                route.output());
        assertTrue(Thrust.mqadminOk("topicList").output().contains(topic));

        Thrust.mqadminOk("deleteTopic", "-c", Thrust.cluster(), "-t", topic);
        assertTrue(Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> {
            try {
                return !Thrust.mqadmin("topicList").output().contains(topic);
            } catch (Exception e) {
                return false;
            }
        }), "topicList still shows the deleted topic");
        Thrust.Admin gone = Thrust.mqadmin("topicRoute", "-t", topic);
        assertFalse(gone.output().contains("\"brokerName\""), "route of a deleted topic: " + gone.output());
    }
}
