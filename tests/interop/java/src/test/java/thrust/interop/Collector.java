package thrust.interop;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/** A started push consumer that keeps every message it is given. */
final class Collector implements AutoCloseable {
    final DefaultMQPushConsumer consumer;
    final String topic;
    final ConcurrentLinkedQueue<MessageExt> received = new ConcurrentLinkedQueue<>();

    private Collector(DefaultMQPushConsumer consumer, String topic) {
        this.consumer = consumer;
        this.topic = topic;
    }

    static Collector concurrently(String group, String topic, String subExpression,
            String model) throws Exception {
        DefaultMQPushConsumer c = base(group, topic, subExpression, model);
        Collector col = new Collector(c, topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            col.received.addAll(msgs);
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        return col;
    }

    static Collector orderly(String group, String topic, String subExpression) throws Exception {
        DefaultMQPushConsumer c = base(group, topic, subExpression, "CLUSTERING");
        Collector col = new Collector(c, topic);
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            col.received.addAll(msgs);
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        return col;
    }

    private static DefaultMQPushConsumer base(String group, String topic, String subExpression,
            String model) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(Thrust.namesrv());
        c.setInstanceName(Thrust.unique("inst"));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        setMessageModel(c, model);
        c.setPersistConsumerOffsetInterval(1_000);
        c.subscribe(topic, subExpression);
        return c;
    }

    /**
     * Sets CLUSTERING or BROADCASTING. MessageModel moved package between 4.9
     * (common.protocol.heartbeat) and 5.x (remoting.protocol.heartbeat), so it is
     * looked up from the setter's parameter type.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void setMessageModel(Object consumer, String model) throws Exception {
        for (java.lang.reflect.Method m : consumer.getClass().getMethods()) {
            if (m.getName().equals("setMessageModel") && m.getParameterCount() == 1) {
                Class<? extends Enum> type = (Class<? extends Enum>) m.getParameterTypes()[0];
                m.invoke(consumer, Enum.valueOf(type, model));
                return;
            }
        }
        throw new IllegalStateException("no setMessageModel on " + consumer.getClass());
    }

    /** Waits (bounded) for `n` messages, then a little longer to catch extras. */
    boolean await(int n) throws InterruptedException {
        boolean ok = Thrust.waitFor(Thrust.SCENARIO_WAIT_MS, () -> received.size() >= n);
        Thread.sleep(1_000);
        return ok;
    }

    Set<String> bodies() {
        Set<String> s = new TreeSet<>();
        for (MessageExt m : received) {
            s.add(new String(m.getBody(), StandardCharsets.UTF_8));
        }
        return s;
    }

    List<String> bodyList() {
        List<String> l = new ArrayList<>();
        for (MessageExt m : received) {
            l.add(new String(m.getBody(), StandardCharsets.UTF_8));
        }
        return l;
    }

    @Override
    public void close() {
        consumer.shutdown();
    }
}
