package dev.veil.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The shaded {@code veil} jar running as its own process, with stdout and stderr captured to a file. */
final class GatewayProcess implements AutoCloseable {

    private final Process process;
    private final Path output;

    private GatewayProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /** Starts {@code java [jvmArgs] -jar veil.jar args...} with extra environment, output to {@code output}. */
    static GatewayProcess start(List<String> jvmArgs, List<String> args, Map<String, String> env, Path output) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(CompatProcess.java());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(CompatProcess.jar().toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(env);
        return new GatewayProcess(builder.start(), output);
    }

    /** The operating system's id of the process. */
    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    static int freePort() throws IOException {
        return CompatProcess.freePort();
    }

    /** Waits until {@code GET /health} answers 200, failing with the process output if it dies or takes too long. */
    void awaitHealthy(int port, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the gateway exited with " + process.exitValue() + ":\n" + Files.readString(output));
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the gateway did not become healthy in " + timeout + ":\n" + Files.readString(output));
    }

    /** Stops the process the way an operator does (SIGTERM), so shutdown hooks flush what is pending. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /** Kills the process at once (SIGKILL, as kill -9): no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** Waits for the process to exit by itself and returns its status; fails if it is still running after the wait. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the process did not exit within " + timeout);
        }
        return process.exitValue();
    }

    String output() throws IOException {
        return Files.readString(output);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }
}
