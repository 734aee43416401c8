package dev.veil.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared-state cell's counter server: {@code valkey-server} when installed, otherwise {@code redis-server}
 * (Debian's package), on a free port of 127.0.0.1 in the run's work folder, without persistence (Veil needs none: see
 * docs/deployment.md), pinned to the gateway's core with the instances that call it.
 */
final class KeyValueServer extends Target {

    /** Where the two servers' binaries are looked for, Valkey first. */
    static final List<String> CANDIDATES = List.of("valkey-server", "redis-server");
    private static final List<String> FOLDERS = List.of("/usr/bin", "/usr/local/bin", "/usr/sbin", "/opt/valkey/bin");

    private int port;

    KeyValueServer() {
        super("kv", "Valkey/Redis");
    }

    /** The first of {@link #CANDIDATES} found in {@code folders}, Valkey before Redis. */
    static Optional<Path> binary(List<Path> folders) {
        for (String name : CANDIDATES) {
            for (Path folder : folders) {
                Path candidate = folder.resolve(name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    protected void start(Env env) throws Exception {
        Path binary = binary(FOLDERS.stream().map(Path::of).toList()).orElseThrow(() -> new IllegalStateException(
                "neither valkey-server nor redis-server is installed (Debian: apt-get install redis-server; "
                        + "bench/setup-peers installs it)"));
        String v = firstLine(List.of(binary.toString(), "--version"));
        Matcher m = Pattern.compile("v=(\\S+)").matcher(v);
        String server = binary.getFileName().toString().startsWith("valkey") ? "Valkey" : "Redis";
        version(server + " " + (m.find() ? m.group(1) : v));
        Path dir = Files.createDirectories(env.work().resolve("kv"));
        port = freePort();
        launch(pinned(env, env.gatewayCpu(), List.of(binary.toString(), "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                "--daemonize", "no")), Map.of(), dir.resolve("server.log"));
        awaitPort(port, 20_000);
    }

    /** {@code redis://127.0.0.1:<port>}, as {@code redis.url} takes it. */
    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * How often each command ran so far ({@code INFO commandstats}: {@code evalsha} → 1234), or an empty map when the
     * server cannot be read. The INFO calls themselves count too.
     */
    Map<String, Long> commandCalls() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return commandCalls(bulkReply(socket.getInputStream()));
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    /** The calls per command in an {@code INFO commandstats} text ({@code cmdstat_get:calls=3,usec=...}). */
    static Map<String, Long> commandCalls(String info) {
        Map<String, Long> calls = new java.util.TreeMap<>();
        Matcher m = Pattern.compile("(?m)^cmdstat_([^:]+):calls=(\\d+)").matcher(info);
        while (m.find()) {
            calls.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return calls;
    }

    /**
     * The commands per request between two {@link #commandCalls} readings, most frequent first, e.g.
     * {@code 3.0 per request (evalsha 2.0, ping 1.0)}; the INFO calls are left out.
     */
    static String perRequest(Map<String, Long> before, Map<String, Long> after, long requests) {
        if (after.isEmpty() || requests <= 0) {
            return "not read";
        }
        Map<String, Long> delta = new java.util.HashMap<>();
        after.forEach((command, n) -> {
            long d = n - before.getOrDefault(command, 0L);
            if (d > 0 && !command.equals("info")) {
                delta.put(command, d);
            }
        });
        long total = delta.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT, "%.1f per request (", (double) total / requests));
        delta.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                .forEach(e -> b.append(e.getKey()).append(' ')
                        .append(String.format(java.util.Locale.ROOT, "%.2f", (double) e.getValue() / requests)).append(", "));
        return (delta.isEmpty() ? b.append("none") : b.delete(b.length() - 2, b.length())).append(')').toString();
    }

    /** Reads one RESP bulk string ({@code $<length>\r\n<bytes>\r\n}), refusing one over 1 MiB. */
    static String bulkReply(InputStream in) throws IOException {
        String head = line(in);
        if (!head.startsWith("$")) {
            throw new IOException("not a bulk reply: " + head);
        }
        int length = Integer.parseInt(head.substring(1));
        if (length < 0 || length > 1 << 20) {
            throw new IOException("bulk reply of " + length + " bytes");
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int previous = -1;
        while (out.size() < 64) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed the connection");
            }
            if (previous == '\r' && b == '\n') {
                byte[] bytes = out.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.US_ASCII);
            }
            out.write(b);
            previous = b;
        }
        throw new IOException("reply line too long");
    }

    @Override
    public Dest dest(Up up) {
        throw new UnsupportedOperationException("the counter server takes no chat completions");
    }
}
