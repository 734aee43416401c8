package dev.veil.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) on a free loopback port with its own directory, no persistence, for
 * tests. Fails with what to install when the binary is missing. {@link #kill()} stops it as a crash would;
 * {@link #restart()} starts it again on the same port, empty.
 */
final class RedisServer implements AutoCloseable {

    private final Path dir;
    private final int port;
    /** With TLS: the server's self-signed certificate (PEM), which is also the only authority to trust; else null. */
    private final Path certificate;
    private Process process;

    private RedisServer(Path dir, int port, Path certificate) {
        this.dir = dir;
        this.port = port;
        this.certificate = certificate;
    }

    /** Starts a server in {@code dir} and waits until it answers PING. */
    static RedisServer start(Path dir) throws Exception {
        RedisServer server = new RedisServer(Files.createDirectories(dir), CompatProcess.freePort(), null);
        server.launch();
        return server;
    }

    /**
     * Starts a server that speaks only TLS, with a self-signed certificate for {@code 127.0.0.1} and {@code localhost}
     * made by the JDK's keytool ({@link #certificate()}), and waits until it answers PING over TLS.
     */
    static RedisServer startTls(Path dir) throws Exception {
        Path created = Files.createDirectories(dir);
        RedisServer server = new RedisServer(created, CompatProcess.freePort(), SelfSignedPem.create(created));
        server.launch();
        return server;
    }

    /** {@code redis://127.0.0.1:<port>}, or {@code rediss://} with TLS */
    String url() {
        return (certificate == null ? "redis://" : "rediss://") + "127.0.0.1:" + port;
    }

    /** The TLS server's certificate (PEM), to trust as its authority. */
    Path certificate() {
        return certificate;
    }

    int port() {
        return port;
    }

    Path dir() {
        return dir;
    }

    private static String binary() {
        for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("redis-server is not installed; the shared-limit tests need it "
                + "(Debian/Ubuntu: apt-get install -y redis-server; .ci/run installs it)");
    }

    private void launch() throws Exception {
        List<String> command = new ArrayList<>(List.of(binary(), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
        if (certificate == null) {
            command.addAll(List.of("--port", Integer.toString(port)));
        } else {
            command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port),
                    "--tls-cert-file", certificate.toString(), "--tls-key-file", dir.resolve("key.pem").toString(),
                    "--tls-ca-cert-file", certificate.toString(), "--tls-auth-clients", "no"));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited with " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("redis.out")));
            }
            try {
                if ("+PONG".equals(command("PING"))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("redis-server did not answer PING within 20 s");
            }
            Thread.sleep(20);
        }
    }

    /**
     * Sends one command (arguments as RESP bulk strings) and returns the first line of the reply: {@code +OK},
     * {@code :12}, {@code $-1}, {@code *3} ... Bulk replies are returned as their content.
     */
    String command(String... args) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("*" + args.length + "\r\n");
            for (String arg : args) {
                request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg)
                        .append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String line = readLine(in);
            if (line.startsWith("$") && !line.equals("$-1")) {
                return readLine(in);
            }
            return line;
        }
    }

    /** Every key in the server, read with KEYS (tests only). */
    List<String> keys() throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            int count = Integer.parseInt(readLine(in).substring(1));
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                readLine(in);
                keys.add(readLine(in));
            }
            return keys;
        }
    }

    /** A connection to the server, over TLS (trusting only its certificate) when it speaks TLS. */
    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
        socket.setSoTimeout(5_000);
        if (certificate == null) {
            return socket;
        }
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) SelfSignedPem.trusting(certificate).getSocketFactory()
                .createSocket(socket, "127.0.0.1", port, true);
        tls.startHandshake();
        return tls;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("redis closed the connection");
            }
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
    }

    /** Stops the server at once (SIGKILL), as a crash would. */
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts the server again on the same port (empty: nothing is persisted). */
    void restart() throws Exception {
        kill();
        launch();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
