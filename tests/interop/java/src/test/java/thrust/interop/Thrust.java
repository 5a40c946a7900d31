package thrust.interop;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.rocketmq.client.producer.DefaultMQProducer;

/** Where the Thrust under test is, unique names, bounded waits and mqadmin. */
final class Thrust {
    /** Upper bound of any wait in a scenario. */
    static final long SCENARIO_WAIT_MS = 60_000;

    private static final AtomicLong SEQ = new AtomicLong();

    private Thrust() {}

    static String namesrv() {
        return System.getProperty("thrust.namesrv", "127.0.0.1:9876");
    }

    /** The broker's address as it registers: host:listenPort. */
    static String broker() {
        return System.getProperty("thrust.broker", "127.0.0.1:10911");
    }

    static String cluster() {
        return System.getProperty("thrust.cluster", "DefaultCluster");
    }

    static String brokerName() {
        return System.getProperty("thrust.brokerName", "broker-a");
    }

    /** "java4" or "java5". */
    static String client() {
        return System.getProperty("thrust.client", "java");
    }

    /** A topic/group name no other scenario, client version or run uses. */
    static String unique(String prefix) {
        return prefix + "_" + client() + "_" + Long.toString(System.currentTimeMillis(), 36)
                + "_" + SEQ.incrementAndGet();
    }

    static DefaultMQProducer startedProducer(String group) throws Exception {
        DefaultMQProducer producer = new DefaultMQProducer(group);
        producer.setNamesrvAddr(namesrv());
        producer.setInstanceName(unique("inst"));
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();
        return producer;
    }

    /** Polls `done` until it holds or `timeoutMs` passes; returns its last value. */
    static boolean waitFor(long timeoutMs, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (done.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return done.getAsBoolean();
    }

    /** Exit code and merged stdout/stderr of one mqadmin run. */
    record Admin(int exitCode, String output) {}

    /** Runs `mqadmin <command> -n <namesrv> <args...>` in a child JVM (bounded to 60 s). */
    static Admin mqadmin(String command, String... args) throws Exception {
        Path home = rocketmqHome();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms64m");
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Drocketmq.home.dir=" + home);
        cmd.add("-Duser.home=" + home);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.apache.rocketmq.tools.command.MQAdminStartup");
        cmd.add(command);
        cmd.add("-n");
        cmd.add(namesrv());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ROCKETMQ_HOME", home.toString());
        pb.environment().put("NAMESRV_ADDR", namesrv());
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (Exception ignored) {
                // The process was killed: what was read so far is kept.
            }
        });
        reader.start();
        if (!p.waitFor(SCENARIO_WAIT_MS, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            reader.join(5_000);
            return new Admin(-1, "TIMEOUT\n" + out.toString(StandardCharsets.UTF_8));
        }
        reader.join(5_000);
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.println("mqadmin " + command + " " + String.join(" ", args) + " -> exit "
                + p.exitValue() + "\n" + text);
        return new Admin(p.exitValue(), text);
    }

    /** mqadmin ran, exited 0 and printed no error. */
    static Admin mqadminOk(String command, String... args) throws Exception {
        Admin a = mqadmin(command, args);
        org.junit.jupiter.api.Assertions.assertEquals(0, a.exitCode(), command + " exit code: " + a.output());
        String lower = a.output().toLowerCase(java.util.Locale.ROOT);
        org.junit.jupiter.api.Assertions.assertFalse(
                lower.contains("exception") || lower.contains("command failed"),
                command + " printed an error: " + a.output());
        return a;
    }

    /** A ROCKETMQ_HOME with the quiet logging config mqadmin loads. */
    private static synchronized Path rocketmqHome() throws Exception {
        Path home = Path.of(System.getProperty("rocketmq.client.logRoot", "target"), "..", "rmq-home")
                .toAbsolutePath().normalize();
        Path conf = home.resolve("conf");
        Files.createDirectories(conf);
        String logback = "<configuration><root level=\"OFF\"/></configuration>\n";
        for (String name : new String[] {"logback_tools.xml", "rmq.tools.logback.xml"}) {
            Path f = conf.resolve(name);
            if (!Files.exists(f)) {
                Files.writeString(f, logback);
            }
        }
        return home;
    }
}
