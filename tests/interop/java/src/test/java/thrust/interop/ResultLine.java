package thrust.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Appends "PASS|FAIL <client> <scenario>" per test to the file in thrust.results. */
public final class ResultLine implements TestWatcher {
    @Override
    public void testSuccessful(ExtensionContext context) {
        write("PASS", context, null);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        write("FAIL", context, cause);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        write("FAIL", context, cause);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        write("SKIP", context, null);
    }

    private static synchronized void write(String verdict, ExtensionContext context, Throwable cause) {
        String scenario = context.getRequiredTestMethod().getName();
        StringBuilder line = new StringBuilder(verdict).append(' ').append(Thrust.client())
                .append(' ').append(scenario);
        if (cause != null) {
            String msg = String.valueOf(cause.getMessage()).replaceAll("\\s+", " ");
            if (msg.length() > 300) {
                msg = msg.substring(0, 300) + "...";
            }
            line.append("  # ").append(cause.getClass().getSimpleName()).append(": ").append(msg);
        }
        line.append('\n');
        String file = System.getProperty("thrust.results");
        if (file == null) {
            return;
        }
        try {
            Path path = Path.of(file);
            Files.createDirectories(path.toAbsolutePath().getParent());
            Files.writeString(path, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }
}
