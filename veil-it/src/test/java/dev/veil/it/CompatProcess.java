package dev.veil.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shaded {@code veil} jar run as a separate process by the JDK running the tests. Stdout is drained by a daemon
 * thread into a list of lines (so the child never blocks on a full pipe); stderr goes to a file for diagnostics.
 */
final class CompatProcess implements AutoCloseable {

    /** A finished run. */
    record Result(int exit, String stdout, String stderr) {
    }

    private final Process process;
    private final Path stderr;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private CompatProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(this::drain, "veil-jar-stdout-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static Path jar() {
        String jar = System.getProperty("veil.jar");
        if (jar == null || jar.isBlank()) {
            throw new AssertionError("system property veil.jar is not set (run through Maven surefire)");
        }
        Path path = Path.of(jar);
        if (!Files.isRegularFile(path)) {
            throw new AssertionError("the shaded jar is missing: " + path + " (build veil-app first)");
        }
        return path;
    }

    static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Starts {@code java -jar veil.jar args...}. */
    static CompatProcess start(Path workDir, String... args) throws IOException {
        return start(workDir, java.util.Map.of(), args);
    }

    /** Starts {@code java -jar veil.jar args...} with {@code env} added to the environment. */
    static CompatProcess start(Path workDir, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-jar", jar().toString()));
        command.addAll(List.of(args));
        Path err = Files.createTempFile(workDir, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(false)
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().remove("VEIL_ADMIN_TOKEN");
        builder.environment().putAll(env);
        return new CompatProcess(builder.start(), err);
    }

    /** Runs {@code java -jar veil.jar args...} to its end, within {@code timeout}. */
    static Result run(Path workDir, Duration timeout, String... args) throws Exception {
        return run(workDir, timeout, java.util.Map.of(), args);
    }

    /** As {@link #run(Path, Duration, String...)} with {@code env} added to the environment. */
    static Result run(Path workDir, Duration timeout, java.util.Map<String, String> env, String... args) throws Exception {
        try (CompatProcess p = start(workDir, env, args)) {
            if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("veil " + String.join(" ", args) + " did not finish within " + timeout
                        + "; stdout so far:\n" + p.stdout());
            }
            p.reader.join(5_000);
            return new Result(p.process.exitValue(), p.stdout(), p.stderr());
        }
    }

    private void drain() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // The process went away; what was read stays available.
        }
    }

    /** Waits until a stdout line matches {@code pattern}; fails with the output so far when it does not in time. */
    Matcher awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        synchronized (lines) {
            while (true) {
                for (; seen < lines.size(); seen++) {
                    Matcher m = pattern.matcher(lines.get(seen));
                    if (m.matches()) {
                        return m;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
                    throw new AssertionError("no stdout line matched " + pattern + " within " + timeout
                            + " (alive: " + process.isAlive() + "); stdout:\n" + String.join("\n", lines)
                            + "\nstderr:\n" + stderr());
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** Waits until stdout has a line containing {@code text}. */
    void awaitText(String text, Duration timeout) throws InterruptedException {
        awaitLine(Pattern.compile(".*" + Pattern.quote(text) + ".*"), timeout);
    }

    String stdout() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    List<String> stdoutLines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    String stderr() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** A loopback port that was free a moment ago. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** Stops the process: a polite SIGTERM first, then SIGKILL after a bounded wait. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already closed
        }
    }

    int exitValue() {
        return process.exitValue();
    }

    boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
