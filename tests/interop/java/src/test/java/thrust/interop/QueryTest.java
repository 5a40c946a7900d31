package thrust.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 9: finding stored messages again. VIEW_MESSAGE_BY_ID (offset msgId), QUERY_MESSAGE
 * (by key and by UNIQ_KEY) through DefaultMQAdminExt and the mqadmin commands queryMsgByKey,
 * queryMsgById, queryMsgByUniqueKey, queryMsgByOffset and printMsg. One topic with 20
 * messages (keys "qk-i common-(i%2)") is set up once.
 */
@ExtendWith(ResultLine.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QueryTest {
    private static final int N = 20;
    /** Apache's client answer when no broker returned a matching message. */
    private static final String NO_MESSAGE = "query message by key finished, but no message";
    /** The key index may trail the commit log (Apache builds it asynchronously too). */
    private static final long INDEX_WAIT_MS = 15_000;

    /** One sent message and where the broker put it. */
    record Sent(int i, String body, String keys, String tag, String msgId, String offsetMsgId, int queueId,
            long queueOffset) {}

    private final String topic = Thrust.unique("T_query");
    private final List<Sent> sent = new ArrayList<>();
    private long beforeSendsMs;
    private DefaultMQAdminExt admin;

    @BeforeAll
    void setUp() throws Exception {
        beforeSendsMs = System.currentTimeMillis();
        DefaultMQProducer producer = Thrust.startedProducer(Thrust.unique("PG"));
        try {
            for (int i = 0; i < N; i++) {
                String body = "query-body-" + i;
                String keys = "qk-" + i + " common-" + (i % 2);
                String tag = "TagQ" + (i % 3);
                SendResult r = producer.send(new Message(topic, tag, keys, body.getBytes(StandardCharsets.UTF_8)));
                assertEquals(SendStatus.SEND_OK, r.getSendStatus());
                sent.add(new Sent(i, body, keys, tag, r.getMsgId(), r.getOffsetMsgId(), r.getMessageQueue().getQueueId(),
                        r.getQueueOffset()));
            }
        } finally {
            producer.shutdown();
        }
        admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(Thrust.namesrv());
        admin.setInstanceName(Thrust.unique("inst"));
        admin.start();
    }

    @AfterAll
    void tearDown() {
        if (admin != null) {
            admin.shutdown();
        }
    }

    /** A message found again is the message `s`: body, keys, tag, topic, queue, UNIQ_KEY. */
    private void assertIs(Sent s, MessageExt m, String how) {
        assertNotNull(m, how + ": no message");
        String what = how + " (message " + s.i() + ")";
        assertEquals(s.body(), new String(m.getBody(), StandardCharsets.UTF_8), what + " body");
        assertEquals(s.keys(), m.getKeys(), what + " keys");
        assertEquals(s.tag(), m.getTags(), what + " tags");
        assertEquals(topic, m.getTopic(), what + " topic");
        assertEquals(s.queueId(), m.getQueueId(), what + " queue id");
        assertEquals(s.queueOffset(), m.getQueueOffset(), what + " queue offset");
        assertEquals(s.msgId(), m.getProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX), what + " UNIQ_KEY");
        if (m instanceof MessageClientExt c) {
            assertEquals(s.offsetMsgId(), c.getOffsetMsgId(), what + " offset msgId");
        }
    }

    /** QUERY_MESSAGE by key; an empty list for Apache's "no message" answer. */
    private List<MessageExt> queryByKey(String key, int maxNum, long beginMs, long endMs) throws Exception {
        try {
            QueryResult r = admin.queryMessage(topic, key, maxNum, beginMs, endMs);
            return r.getMessageList() == null ? List.of() : r.getMessageList();
        } catch (MQClientException e) {
            if (String.valueOf(e.getMessage()).contains(NO_MESSAGE)) {
                return List.of();
            }
            throw e;
        }
    }

    /** queryByKey, repeated (bounded) until it finds `want` messages: the index may trail. */
    private List<MessageExt> queryByKeyUntil(String key, int want) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INDEX_WAIT_MS);
        List<MessageExt> got = queryByKey(key, 32, 0, Long.MAX_VALUE);
        while (got.size() < want && System.nanoTime() < deadline) {
            Thread.sleep(500);
            got = queryByKey(key, 32, 0, Long.MAX_VALUE);
        }
        return got;
    }

    private static Set<String> bodies(List<MessageExt> ms) {
        Set<String> s = new TreeSet<>();
        ms.forEach(m -> s.add(new String(m.getBody(), StandardCharsets.UTF_8)));
        return s;
    }

    /**
     * DefaultMQAdminExt.queryMessageByUniqKey: (topic, key, maxNum, begin, end) in 4.9,
     * (cluster, topic, key, maxNum, begin, end) in 5.x.
     */
    private QueryResult queryByUniqKey(String uniqKey) throws Exception {
        for (Method m : admin.getClass().getMethods()) {
            if (!m.getName().equals("queryMessageByUniqKey") || m.getReturnType() != QueryResult.class) {
                continue;
            }
            try {
                if (m.getParameterCount() == 5) {
                    return (QueryResult) m.invoke(admin, topic, uniqKey, 32, 0L, Long.MAX_VALUE);
                }
                if (m.getParameterCount() == 6) {
                    return (QueryResult) m.invoke(admin, null, topic, uniqKey, 32, 0L, Long.MAX_VALUE);
                }
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            }
        }
        throw new IllegalStateException("no queryMessageByUniqKey on " + admin.getClass());
    }

    @Test
    void admin_view_message() throws Exception {
        for (Sent s : List.of(sent.get(0), sent.get(7), sent.get(N - 1))) {
            // 4.9 only: viewMessage(offsetMsgId); 5.x dropped it.
            Method byOffsetId = null;
            try {
                byOffsetId = admin.getClass().getMethod("viewMessage", String.class);
            } catch (NoSuchMethodException e) {
                // 5.x
            }
            if (byOffsetId != null) {
                assertIs(s, (MessageExt) byOffsetId.invoke(admin, s.offsetMsgId()), "viewMessage(offsetMsgId)");
            }
            assertIs(s, admin.viewMessage(topic, s.offsetMsgId()), "viewMessage(topic, offsetMsgId)");
        }
    }

    @Test
    void admin_query_message_by_key() throws Exception {
        Sent s3 = sent.get(3);
        List<MessageExt> one = queryByKeyUntil("qk-3", 1);
        assertEquals(1, one.size(), "qk-3: " + bodies(one));
        assertIs(s3, one.get(0), "queryMessage(qk-3)");

        List<MessageExt> odd = queryByKeyUntil("common-1", N / 2);
        Set<String> want = new TreeSet<>();
        for (Sent s : sent) {
            if (s.i() % 2 == 1) {
                want.add(s.body());
            }
        }
        assertEquals(want, bodies(odd), "common-1 gives the odd messages");
        assertEquals(N / 2, odd.size(), "no duplicates: " + bodies(odd));
        for (MessageExt m : odd) {
            int i = Integer.parseInt(new String(m.getBody(), StandardCharsets.UTF_8).substring("query-body-".length()));
            assertIs(sent.get(i), m, "queryMessage(common-1)");
        }

        // maxNum caps the answer (Apache: min(maxNum, defaultQueryMaxNum 32) per broker).
        List<MessageExt> three = queryByKey("common-0", 3, 0, Long.MAX_VALUE);
        assertEquals(3, three.size(), "common-0 with maxNum 3: " + bodies(three));

        // Time ranges without the messages.
        assertEquals(List.of(), queryByKey("qk-3", 32, 0, beforeSendsMs - 1_000), "range ending before the sends");
        long later = System.currentTimeMillis() + 3_600_000;
        assertEquals(List.of(), queryByKey("common-1", 32, later, Long.MAX_VALUE), "range starting after the sends");
        assertEquals(List.of(), queryByKey("no-such-key", 32, 0, Long.MAX_VALUE), "unknown key");
    }

    @Test
    void admin_query_by_unique_key() throws Exception {
        for (Sent s : List.of(sent.get(2), sent.get(11))) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INDEX_WAIT_MS);
            QueryResult r = queryByUniqKey(s.msgId());
            while ((r == null || r.getMessageList().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(500);
                r = queryByUniqKey(s.msgId());
            }
            assertNotNull(r);
            assertEquals(1, r.getMessageList().size(), "queryMessageByUniqKey: " + bodies(r.getMessageList()));
            assertIs(s, r.getMessageList().get(0), "queryMessageByUniqKey");
            assertEquals(s.msgId(), r.getMessageList().get(0).getMsgId());
            // viewMessage(topic, uniqKey): the id does not decode to a broker address, so
            // the client falls back to a UNIQ_KEY query.
            assertIs(s, admin.viewMessage(topic, s.msgId()), "viewMessage(topic, uniqKey)");
        }
    }

    // ---- mqadmin ----

    private static boolean isJava5() {
        return Thrust.client().equals("java5");
    }

    private static void contains(Thrust.Admin a, String... needles) {
        for (String n : needles) {
            assertTrue(a.output().contains(n), "expected '" + n + "' in:\n" + a.output());
        }
    }

    /** The value printed after `label` ("Keys:   [..]") by the queryMsgBy* commands. */
    private static String field(Thrust.Admin a, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + "\\s+(.*)$").matcher(a.output());
        assertTrue(m.find(), "no '" + label + "' in:\n" + a.output());
        return m.group(1).trim();
    }

    /** The detail block queryMsgById / queryMsgByUniqueKey / queryMsgByOffset print for `s`. */
    private void assertDetail(Thrust.Admin a, Sent s) throws Exception {
        assertEquals(topic, field(a, "Topic:"));
        assertEquals("[" + s.tag() + "]", field(a, "Tags:"));
        assertEquals("[" + s.keys() + "]", field(a, "Keys:"));
        assertEquals(Integer.toString(s.queueId()), field(a, "Queue ID:"));
        assertEquals(Long.toString(s.queueOffset()), field(a, "Queue Offset:"));
        assertTrue(field(a, "Properties:").contains("UNIQ_KEY=" + s.msgId()), "UNIQ_KEY in " + field(a, "Properties:"));
        // The commands write the body to a file and print its path.
        Path body = Path.of(field(a, "Message Body Path:"));
        assertEquals(s.body(), Files.readString(body, StandardCharsets.UTF_8), "body in " + body);
    }

    /** Message ids (first column) of queryMsgByKey's table (5.x adds an #IndexKey column). */
    private static Set<String> tableIds(Thrust.Admin a) {
        Set<String> ids = new TreeSet<>();
        for (String line : a.output().split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 3 && cols[0].matches("[0-9A-F]{32,}") && cols[1].matches("\\d+")
                    && cols[2].matches("\\d+")) {
                ids.add(cols[0]);
            }
        }
        return ids;
    }

    @Test
    void mqadmin_queryMsgByKey() throws Exception {
        queryByKeyUntil("common-0", N / 2); // the index has caught up
        Sent s5 = sent.get(5);
        Thrust.Admin one = Thrust.mqadminOk("queryMsgByKey", "-t", topic, "-k", "qk-5");
        assertEquals(Set.of(s5.msgId()), tableIds(one), "ids for qk-5:\n" + one.output());
        contains(one, s5.msgId() + " ", " " + s5.queueId() + " ", " " + s5.queueOffset());

        Thrust.Admin even = Thrust.mqadminOk("queryMsgByKey", "-t", topic, "-k", "common-0");
        Set<String> want = new TreeSet<>();
        for (Sent s : sent) {
            if (s.i() % 2 == 0) {
                want.add(s.msgId());
            }
        }
        assertEquals(want, tableIds(even), "ids for common-0:\n" + even.output());
    }

    @Test
    void mqadmin_queryMsgById() throws Exception {
        Sent s = sent.get(8);
        // 5.x requires -t; 4.9 has no -t.
        Thrust.Admin a = isJava5()
                ? Thrust.mqadminOk("queryMsgById", "-t", topic, "-i", s.offsetMsgId())
                : Thrust.mqadminOk("queryMsgById", "-i", s.offsetMsgId());
        assertEquals(s.offsetMsgId(), field(a, "OffsetID:"));
        assertDetail(a, s);
        if (isJava5()) {
            // 5.x: an id that is not an offset msgId is looked up as UNIQ_KEY.
            queryByKeyUntil("qk-9", 1);
            Sent u = sent.get(9);
            Thrust.Admin byUniq = Thrust.mqadminOk("queryMsgById", "-t", topic, "-i", u.msgId());
            assertEquals(u.offsetMsgId(), field(byUniq, "OffsetID:"));
            assertDetail(byUniq, u);
        }
    }

    @Test
    void mqadmin_queryMsgByUniqueKey() throws Exception {
        Sent s = sent.get(13);
        queryByKeyUntil("qk-13", 1);
        Thrust.Admin a = Thrust.mqadminOk("queryMsgByUniqueKey", "-t", topic, "-i", s.msgId());
        assertDetail(a, s);
    }

    @Test
    void mqadmin_queryMsgByOffset() throws Exception {
        Sent s = sent.get(17);
        Thrust.Admin a = Thrust.mqadminOk("queryMsgByOffset", "-t", topic, "-b", Thrust.brokerName(),
                "-i", Integer.toString(s.queueId()), "-o", Long.toString(s.queueOffset()));
        assertEquals(s.offsetMsgId(), field(a, "OffsetID:"));
        assertDetail(a, s);
    }

    @Test
    void mqadmin_printMsg() throws Exception {
        Thrust.Admin all = Thrust.mqadminOk("printMsg", "-t", topic);
        Thrust.Admin since = Thrust.mqadminOk("printMsg", "-t", topic, "-b", Long.toString(beforeSendsMs - 1_000));
        for (Thrust.Admin a : List.of(all, since)) {
            for (Sent s : sent) {
                contains(a, "MSGID: " + s.msgId() + " ", "BODY: " + s.body() + "\n", "KEYS=" + s.keys());
            }
            int printed = a.output().split("MSGID: ", -1).length - 1;
            assertEquals(N, printed, "messages printed:\n" + a.output());
        }
    }
}
