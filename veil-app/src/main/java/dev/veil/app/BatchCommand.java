package dev.veil.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.client.batch.BatchResults;
import dev.veil.client.batch.ClientKey;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil batch submit|status|results|cancel|keygen}: the OpenAI Batches API from the command line, with
 * client-held keys (results encrypted to a key only you hold).
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = "Submit and follow batches (the OpenAI Batches API), with optional client-held keys.",
        subcommands = {BatchCommand.Submit.class, BatchCommand.Status.class, BatchCommand.Results.class,
                BatchCommand.Cancel.class, BatchCommand.Keygen.class})
final class BatchCommand implements Runnable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> TERMINAL = Set.of("completed", "failed", "expired", "cancelled");

    @Override
    public void run() {
        System.out.println("Usage: veil batch submit|status|results|cancel|keygen (see veil batch --help)");
    }

    /** A failure to report as {@code veil: <message>} with exit status 1 (2 for usage). */
    static final class Failure extends RuntimeException {
        final int exit;

        Failure(String message, int exit) {
            super(message, null, false, false);
            this.exit = exit;
        }
    }

    /** Where the gateway is and which key to use. */
    static final class Connection {
        @Option(names = "--gateway", defaultValue = "http://127.0.0.1:8080",
                description = "Gateway origin (default: ${DEFAULT-VALUE}).")
        String gateway;

        @Option(names = "--api-key", description = "API key (default: the VEIL_API_KEY environment variable).")
        String apiKey;

        // Created on first use: picocli builds this mixin for every command line, `veil serve` included, and a JDK
        // HttpClient loads about 300 classes (TLS among them) and starts a selector thread, held for the process's life.
        private HttpClient http;

        String key() {
            String key = apiKey != null ? apiKey : System.getenv("VEIL_API_KEY");
            if (key == null || key.isBlank()) {
                throw new Failure("no API key: pass --api-key or set VEIL_API_KEY", 2);
            }
            return key;
        }

        HttpRequest.Builder request(String path) {
            String origin = gateway.endsWith("/") ? gateway.substring(0, gateway.length() - 1) : gateway;
            if (origin.endsWith("/v1")) {
                origin = origin.substring(0, origin.length() - 3);
            }
            return HttpRequest.newBuilder(URI.create(origin + path)).header("authorization", "Bearer " + key());
        }

        JsonNode json(HttpRequest.Builder request) {
            HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new Failure("the gateway answered " + response.statusCode() + " without JSON", 1);
            }
            if (response.statusCode() / 100 != 2) {
                throw new Failure("the gateway refused (" + response.statusCode() + " "
                        + body.path("error").path("code").asText("error") + "): " + body.path("error").path("message").asText(), 1);
            }
            return body;
        }

        <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
            try {
                if (http == null) {
                    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                }
                return http.send(request.build(), handler);
            } catch (IOException e) {
                throw new Failure("cannot reach the gateway at " + gateway + " (" + e.getClass().getSimpleName() + ")", 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted", 1);
            }
        }
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        Connection connection;

        PrintStream out = System.out;
        PrintStream err = System.err;

        @Override
        public final Integer call() {
            try {
                return execute();
            } catch (Failure f) {
                err.println("veil: " + f.getMessage());
                return f.exit;
            } catch (IOException e) {
                err.println("veil: " + e.getMessage());
                return 1;
            }
        }

        abstract int execute() throws IOException;
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = "Upload a JSONL file and create a batch from it.")
    static final class Submit extends Base {
        @Parameters(index = "0", paramLabel = "JSONL", description = "Input file: one request per line, as OpenAI defines it.")
        Path input;

        @Option(names = "--model", required = true, description = "Model for every line (sets or replaces body.model).")
        String model;

        @Option(names = "--endpoint", defaultValue = "/v1/chat/completions",
                description = "/v1/chat/completions, /v1/completions, /v1/embeddings or /v1/responses (default: ${DEFAULT-VALUE}).")
        String endpoint;

        @Option(names = "--client-key", paramLabel = "FILE",
                description = "Key file from 'veil batch keygen' (or its .pub): results are encrypted to it.")
        Path clientKey;

        @Option(names = "--wait", description = "Wait for the batch to end, with a progress bar on stderr.")
        boolean waitForEnd;

        @Override
        int execute() throws IOException {
            dev.veil.protocol.api.Endpoint served = dev.veil.protocol.api.Endpoint.byPath(endpoint);
            if (served == null || !served.batch()) {
                throw new Failure("--endpoint: must be one of " + dev.veil.protocol.api.Endpoint.paths(
                        dev.veil.protocol.api.Endpoint::batch), 2);
            }
            if (!Files.isReadable(input)) {
                throw new Failure("cannot read " + input, 2);
            }
            String publicKey = clientKey == null ? null : ClientKey.read(clientKey).publicKeyText();
            String boundary = "veil" + UUID.randomUUID().toString().replace("-", "");
            byte[] head = ("--" + boundary + "\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                    + boundary + "\r\ncontent-disposition: form-data; name=\"file\"; filename=\"" + input.getFileName()
                    .toString().replace("\"", "") + "\"\r\ncontent-type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
            JsonNode file = connection.json(connection.request("/v1/files")
                    .header("content-type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> {
                        try {
                            return new SequenceInputStream(new SequenceInputStream(new ByteArrayInputStream(head),
                                    new ModelSetter(Files.newBufferedReader(input, StandardCharsets.UTF_8), model)),
                                    new ByteArrayInputStream(tail));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })));
            ObjectNode body = JSON.createObjectNode().put("input_file_id", file.path("id").asText())
                    .put("endpoint", endpoint).put("completion_window", "24h");
            if (publicKey != null) {
                body.putObject("metadata").put("veil_client_public_key", publicKey);
            }
            JsonNode batch = connection.json(connection.request("/v1/batches").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
            String id = batch.path("id").asText();
            if (waitForEnd) {
                batch = follow(connection, id, err);
            }
            print(out, batch);
            return waitForEnd && !batch.path("status").asText().equals("completed") ? 1 : 0;
        }
    }

    /** Streams the input with body.model set on every line that is a JSON object with a body. */
    static final class ModelSetter extends InputStream {
        private final BufferedReader reader;
        private final String model;
        private byte[] current = new byte[0];
        private int position;
        private boolean eof;

        ModelSetter(BufferedReader reader, String model) {
            this.reader = reader;
            this.model = model;
        }

        private boolean fill() throws IOException {
            while (position >= current.length) {
                if (eof) {
                    return false;
                }
                String line = reader.readLine();
                if (line == null) {
                    eof = true;
                    reader.close();
                    return false;
                }
                current = (rewrite(line) + "\n").getBytes(StandardCharsets.UTF_8);
                position = 0;
            }
            return true;
        }

        String rewrite(String line) {
            if (line.isBlank()) {
                return line;
            }
            try {
                JsonNode node = JSON.readTree(line);
                if (node instanceof ObjectNode object && object.get("body") instanceof ObjectNode requestBody) {
                    requestBody.put("model", model);
                    return JSON.writeValueAsString(object);
                }
            } catch (IOException e) {
                // Not JSON: sent as it is; the gateway reports the line in the error file.
            }
            return line;
        }

        @Override
        public int read() throws IOException {
            return fill() ? current[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }
    }

    /** Polls until the batch ends, drawing a progress bar from request_counts on {@code err}. */
    static JsonNode follow(Connection connection, String id, PrintStream err) {
        JsonNode batch;
        while (true) {
            batch = connection.json(connection.request("/v1/batches/" + id).GET());
            JsonNode counts = batch.path("request_counts");
            long total = counts.path("total").asLong();
            long done = counts.path("completed").asLong() + counts.path("failed").asLong();
            int width = 30;
            int filled = total == 0 ? 0 : (int) Math.min(width, done * width / total);
            err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total + " ("
                    + counts.path("failed").asLong() + " failed) " + batch.path("status").asText() + "   ");
            err.flush();
            if (TERMINAL.contains(batch.path("status").asText())) {
                err.println();
                return batch;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted", 1);
            }
        }
    }

    static void print(PrintStream out, JsonNode batch) {
        JsonNode counts = batch.path("request_counts");
        out.println("batch_id=" + batch.path("id").asText());
        out.println("status=" + batch.path("status").asText());
        out.println("requests=" + counts.path("total").asLong() + " completed=" + counts.path("completed").asLong()
                + " failed=" + counts.path("failed").asLong());
        out.println("input_file_id=" + batch.path("input_file_id").asText());
        out.println("output_file_id=" + batch.path("output_file_id").asText(""));
        out.println("error_file_id=" + batch.path("error_file_id").asText(""));
        if (batch.path("errors").path("data").isArray()) {
            for (JsonNode e : batch.path("errors").path("data")) {
                out.println("error=" + e.path("code").asText() + ": " + e.path("message").asText());
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a batch's status and counts.")
    static final class Status extends Base {
        @Parameters(index = "0", paramLabel = "BATCH_ID")
        String id;

        @Override
        int execute() {
            print(out, connection.json(connection.request("/v1/batches/" + id).GET()));
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a batch.")
    static final class Cancel extends Base {
        @Parameters(index = "0", paramLabel = "BATCH_ID")
        String id;

        @Override
        int execute() {
            print(out, connection.json(connection.request("/v1/batches/" + id + "/cancel")
                    .POST(HttpRequest.BodyPublishers.noBody())));
            return 0;
        }
    }

    @Command(name = "results", mixinStandardHelpOptions = true,
            description = "Download a batch's output (or --errors) as JSONL, decrypting client-sealed results.")
    static final class Results extends Base {
        @Parameters(index = "0", paramLabel = "BATCH_ID")
        String id;

        @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE instead of stdout.")
        Path outFile;

        @Option(names = "--errors", description = "The error file instead of the output file.")
        boolean errors;

        @Option(names = "--client-key", paramLabel = "FILE", description = "Private key file for client-sealed results.")
        Path clientKey;

        @Override
        int execute() throws IOException {
            JsonNode batch = connection.json(connection.request("/v1/batches/" + id).GET());
            String fileId = batch.path(errors ? "error_file_id" : "output_file_id").asText(null);
            if (fileId == null || fileId.isEmpty() || fileId.equals("null")) {
                throw new Failure("the batch has no " + (errors ? "error" : "output") + " file (status "
                        + batch.path("status").asText() + ")", 1);
            }
            HttpResponse<InputStream> response = connection.send(connection.request("/v1/files/" + fileId + "/content").GET(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new Failure("the gateway answered " + response.statusCode() + " for the file's content", 1);
            }
            boolean sealed = response.headers().firstValue("x-veil-client-sealed").isPresent();
            byte[] privateKey = null;
            if (sealed) {
                if (clientKey == null) {
                    response.body().close();
                    throw new Failure("these results are encrypted to your client key; pass --client-key <file>", 2);
                }
                privateKey = ClientKey.read(clientKey).privateKey();
                if (privateKey == null) {
                    response.body().close();
                    throw new Failure("--client-key: " + clientKey + " holds only a public key; use the private key file", 2);
                }
            }
            try (InputStream in = sealed ? BatchResults.decrypt(response.body(), privateKey) : response.body();
                 OutputStream target = outFile == null ? new java.io.FilterOutputStream(out) {
                     @Override
                     public void close() throws IOException {
                         flush();
                     }
                 } : Files.newOutputStream(outFile)) {
                in.transferTo(target);
            }
            return 0;
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Make an X25519 key pair for client-held keys: FILE (private, mode 600) and FILE.pub.")
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the private key.")
        Path out;

        @Override
        public Integer call() throws IOException {
            if (Files.exists(out)) {
                System.err.println("veil: " + out + " exists; not overwriting a key");
                return 2;
            }
            ClientKey key = ClientKey.generate();
            key.write(out);
            System.out.println("private key: " + out + " (keep it; results encrypted to it cannot be read without it)");
            System.out.println("public key:  " + out + ".pub");
            System.out.println("veil_client_public_key=" + key.publicKeyText());
            return 0;
        }
    }
}
