package dev.veil.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.auth.AuthenticationException;
import dev.veil.gateway.batch.files.DeletionReceipts;
import dev.veil.gateway.batch.files.FileVault;
import dev.veil.gateway.batch.files.MasterKey;
import dev.veil.gateway.batch.files.UploadSink;
import dev.veil.gateway.batch.runner.BatchRunner;
import dev.veil.gateway.config.BatchConfig;
import dev.veil.gateway.http.BodyReader;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.Responses;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.BatchFileRecord;
import dev.veil.store.FileShredRecord;
import dev.veil.store.BatchRecord;
import dev.veil.store.Store;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI Files and Batches API on vertx-core: {@code /v1/files}, {@code /v1/files/{id}},
 * {@code /v1/files/{id}/content}, {@code /v1/batches}, {@code /v1/batches/{id}}, {@code /v1/batches/{id}/cancel}, and
 * Veil's {@code /v1/receipts/key}. A key sees only its own files and batches (others are 404, as unknown ones).
 * Uploads stream through the encrypting writer; downloads stream through the decrypting reader a piece at a time on a
 * worker, with backpressure and no worker held while the client is slow ({@link FileDownload}); everything touching the store runs on the JDBC pool. Without a master key every call answers 503
 * {@code batch_disabled}.
 */
public final class BatchApi {

    private static final Logger LOG = LoggerFactory.getLogger(BatchApi.class);
    private static final long MAX_JSON_BODY = 64 * 1024;
    private static final HexFormat HEX = HexFormat.of();

    /** The enabled API's parts; {@code null} when disabled. */
    public record Parts(Vertx vertx, Store store, FileVault vault, DeletionReceipts receipts, BatchRunner runner,
                        BatchConfig config, WorkerExecutor jdbc, WorkerExecutor io, Clock clock) {
    }

    private final Parts parts;
    private final dev.veil.gateway.auth.RequestKeys keys;
    private final RequestMeter meter;
    private final dev.veil.gateway.http.Replies replies;
    private final BatchJson json;
    private final ObjectMapper mapper;

    /**
     * @param parts null for a gateway without a master key: every call then answers 503 {@code batch_disabled}
     */
    public BatchApi(Parts parts, dev.veil.gateway.auth.RequestKeys keys, RequestMeter meter, JsonWriter jsonWriter, ObjectMapper mapper) {
        this.parts = parts;
        this.keys = keys;
        this.meter = meter;
        this.replies = new dev.veil.gateway.http.Replies(this.meter);
        this.mapper = mapper;
        this.json = new BatchJson(jsonWriter, mapper);
    }

    public boolean enabled() {
        return parts != null;
    }

    /** Whether this API serves {@code path}. */
    public static boolean serves(String path) {
        return path.equals("/v1/files") || path.startsWith("/v1/files/") || path.equals("/v1/batches")
                || path.startsWith("/v1/batches/") || path.equals("/v1/receipts/key");
    }

    static OpenAiError disabledError() {
        return new OpenAiError(503, "The Files and Batches API is disabled on this gateway: it needs a master key to "
                + "encrypt files at rest. The operator enables it by setting VEIL_MASTER_KEY (32 random bytes, base64url) "
                + "or batch.master_key_file; see docs/configuration.md.", OpenAiError.SERVER, null, "batch_disabled");
    }

    public void handle(Exchange exchange) {
        HttpServerRequest request = exchange.request();
        String path = request.path();
        exchange.endpoint(path.startsWith("/v1/files") ? "files" : path.startsWith("/v1/batches") ? "batches" : "receipts");
        if (path.equals("/v1/receipts/key")) {
            if (request.method() != HttpMethod.GET) {
                methodNotAllowed(exchange, "GET");
            } else if (!enabled()) {
                error(exchange, disabledError());
            } else {
                reply(exchange, 200, parts.receipts().publicKeyJson());
            }
            return;
        }
        request.pause();
        keys.key(request).onComplete(result -> {
            if (result.failed()) {
                failWith(exchange, result.cause());
                return;
            }
            ApiKeyRecord key = result.result();
            exchange.key(key);
            if (!enabled()) {
                error(exchange, disabledError());
                return;
            }
            try {
                route(exchange, key, path);
            } catch (RuntimeException e) {
                fail(exchange, e);
            }
        });
    }

    private void route(Exchange exchange, ApiKeyRecord key, String path) {
        HttpMethod method = exchange.request().method();
        String[] segments = path.substring(1).split("/", -1);
        // segments: v1, files|batches, [id], [content|cancel]
        if (segments[1].equals("files")) {
            if (segments.length == 2) {
                if (method == HttpMethod.POST) {
                    upload(exchange, key);
                } else if (method == HttpMethod.GET) {
                    listFiles(exchange, key);
                } else {
                    methodNotAllowed(exchange, "GET, POST");
                }
            } else if (segments.length == 3 && !segments[2].isEmpty()) {
                if (method == HttpMethod.GET) {
                    getFile(exchange, key, segments[2]);
                } else if (method == HttpMethod.DELETE) {
                    deleteFile(exchange, key, segments[2]);
                } else {
                    methodNotAllowed(exchange, "GET, DELETE");
                }
            } else if (segments.length == 4 && segments[3].equals("content")) {
                if (method == HttpMethod.GET) {
                    content(exchange, key, segments[2]);
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            } else {
                unknownPath(exchange);
            }
            return;
        }
        if (segments.length == 2) {
            if (method == HttpMethod.POST) {
                createBatch(exchange, key);
            } else if (method == HttpMethod.GET) {
                listBatches(exchange, key);
            } else {
                methodNotAllowed(exchange, "GET, POST");
            }
        } else if (segments.length == 3 && !segments[2].isEmpty()) {
            if (method == HttpMethod.GET) {
                getBatch(exchange, key, segments[2]);
            } else {
                methodNotAllowed(exchange, "GET");
            }
        } else if (segments.length == 4 && segments[3].equals("cancel")) {
            if (method == HttpMethod.POST) {
                cancelBatch(exchange, key, segments[2]);
            } else {
                methodNotAllowed(exchange, "POST");
            }
        } else {
            unknownPath(exchange);
        }
    }

    // ---- files ----

    private void upload(Exchange exchange, ApiKeyRecord key) {
        HttpServerRequest request = exchange.request();
        String boundary = MultipartParser.boundary(request.getHeader("content-type"));
        if (boundary == null) {
            error(exchange, OpenAiError.invalidRequest("Upload files as multipart/form-data with the fields \"file\" and "
                    + "\"purpose\".", "file", "invalid_content_type"));
            return;
        }
        long limit = parts.config().maxFileBytes();
        String declared = request.getHeader("content-length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > limit + 1024 * 1024) {
                    error(exchange, tooLarge(limit));
                    return;
                }
            } catch (NumberFormatException e) {
                error(exchange, OpenAiError.invalidRequest("The Content-Length header is not a number.", null,
                        "invalid_content_length"));
                return;
            }
        }
        long now = parts.clock().millis();
        String fileId = FileVault.newFileId();
        FileVault.NewFile file = parts.vault().prepare(fileId, key.id(), BatchFileRecord.PURPOSE_INPUT,
                BatchFileRecord.UPLOADING, null, null, false, now, null);
        blocking(() -> {
            parts.vault().insert(file);
            return null;
        }).compose(v -> parts.vault().files().openUpload(parts.vertx(), parts.io(), fileId, file.dataKey(), limit))
                .onFailure(failure -> {
                    shredLater(fileId);
                    failWith(exchange, failure);
                })
                .onSuccess(sink -> receive(exchange, request, file, sink, boundary));
    }

    /** One upload's parsing state, confined to the request's event loop. */
    private static final class Upload implements MultipartParser.Listener {
        final UploadSink sink;
        final java.util.Map<String, String> fields = new java.util.HashMap<>();
        String filename;
        boolean inFile;
        boolean gotFile;
        String field;
        final java.io.ByteArrayOutputStream fieldValue = new java.io.ByteArrayOutputStream();
        boolean finished;

        Upload(UploadSink sink) {
            this.sink = sink;
        }

        @Override
        public void partStart(String name, String filename) {
            if (name.equals("file") && !gotFile) {
                inFile = true;
                gotFile = true;
                this.filename = filename == null || filename.isBlank() ? "upload.jsonl" : filename;
            } else {
                field = name;
                fieldValue.reset();
            }
        }

        @Override
        public void data(byte[] bytes, int offset, int length) {
            if (inFile) {
                sink.accept(bytes, offset, length);
            } else if (field != null && fieldValue.size() + length <= 4096) {
                fieldValue.write(bytes, offset, length);
            }
        }

        @Override
        public void partEnd() {
            if (inFile) {
                inFile = false;
            } else if (field != null) {
                fields.putIfAbsent(field, fieldValue.toString(StandardCharsets.UTF_8));
                field = null;
            }
        }
    }

    private void receive(Exchange exchange, HttpServerRequest request, FileVault.NewFile file, UploadSink sink,
                         String boundary) {
        String fileId = file.record().id();
        Upload upload = new Upload(sink);
        MultipartParser parser = new MultipartParser(boundary, upload);
        Runnable abandon = () -> {
            upload.finished = true;
            sink.abort().onComplete(v -> shredLater(fileId));
        };
        request.handler(buffer -> {
            if (upload.finished) {
                return;
            }
            try {
                parser.feed(buffer.getBytes());
            } catch (MultipartParser.MalformedException e) {
                abandon.run();
                error(exchange, OpenAiError.invalidRequest("The upload is not well-formed multipart/form-data.", "file",
                        "invalid_multipart"));
                return;
            }
            if (sink.tooLarge()) {
                abandon.run();
                error(exchange, tooLarge(parts.config().maxFileBytes()));
                return;
            }
            if (sink.writeQueueFull()) {
                request.pause();
                sink.drainHandler(v -> request.resume());
            }
        });
        request.exceptionHandler(t -> {
            if (!upload.finished) {
                abandon.run();
                LOG.debug("request_id={} upload broke off: {}", exchange.requestId(), t.getClass().getSimpleName());
            }
        });
        request.endHandler(v -> {
            if (upload.finished) {
                return;
            }
            String purpose = upload.fields.get("purpose");
            OpenAiError refused = null;
            if (!parser.complete()) {
                refused = OpenAiError.invalidRequest("The upload is not well-formed multipart/form-data (it ends early).",
                        "file", "invalid_multipart");
            } else if (purpose == null) {
                refused = OpenAiError.invalidRequest("Missing required parameter: \"purpose\" (Veil accepts \"batch\").",
                        "purpose", "missing_required_parameter");
            } else if (!purpose.equals("batch")) {
                refused = OpenAiError.invalidRequest("\"purpose\" must be \"batch\": this gateway stores files only as "
                        + "batch input.", "purpose", "invalid_value");
            } else if (!upload.gotFile) {
                refused = OpenAiError.invalidRequest("Missing required parameter: \"file\".", "file",
                        "missing_required_parameter");
            }
            Long requestedTtl = null;
            if (refused == null) {
                try {
                    requestedTtl = ExpiresAfter.fromForm(upload.fields.get("expires_after[anchor]"),
                            upload.fields.get("expires_after[seconds]"));
                } catch (InvalidRequestException e) {
                    refused = e.error();
                }
            }
            if (refused != null) {
                abandon.run();
                error(exchange, refused);
                return;
            }
            upload.finished = true;
            Long ttl = fileTtl(requestedTtl);
            String name = upload.filename;
            sink.finish().compose(bytes -> {
                long now = parts.clock().millis();
                long expiresAt = file.record().createdAt() + (ttl == null ? parts.config().outputTtlHours() * 3_600_000L : ttl);
                String sealedName = MasterKey.sealWith(file.dataKey(), fileId.getBytes(StandardCharsets.US_ASCII),
                        name.getBytes(StandardCharsets.UTF_8));
                return blocking(() -> {
                    parts.store().batchFiles().markProcessed(fileId, bytes, Math.max(expiresAt, now + 60_000), sealedName);
                    return parts.store().batchFiles().find(fileId).orElseThrow();
                });
            }).onSuccess(stored -> reply(exchange, 200, json.file(stored, name)))
                    .onFailure(t -> {
                        shredLater(fileId);
                        failWith(exchange, t);
                    });
        });
        request.resume();
    }

    /** A requested time to live (validated by {@link ExpiresAfter}) never lengthens the configured one. */
    private Long fileTtl(Long requestedMs) {
        return requestedMs == null ? null : Math.min(requestedMs, parts.config().outputTtlHours() * 3_600_000L);
    }

    private void shredLater(String fileId) {
        blocking(() -> parts.vault().shred(fileId, parts.clock().millis()))
                .onFailure(t -> LOG.warn("file_id={} could not be removed after a failed upload: {}", fileId,
                        t.getClass().getSimpleName()));
    }

    private static OpenAiError tooLarge(long limit) {
        return new OpenAiError(413, "The file is larger than this gateway's limit of " + limit + " bytes.",
                OpenAiError.INVALID_REQUEST, "file", "file_too_large");
    }

    /** A key's readable file, or empty (unknown, another key's, not finished). */
    private Optional<BatchFileRecord> ownFile(ApiKeyRecord key, String id) {
        return parts.store().batchFiles().find(id)
                .filter(f -> f.keyId().equals(key.id()) && f.status().equals(BatchFileRecord.PROCESSED));
    }

    private void listFiles(Exchange exchange, ApiKeyRecord key) {
        HttpServerRequest request = exchange.request();
        int limit;
        dev.veil.gateway.http.QueryParams query;
        try {
            query = dev.veil.gateway.http.QueryParams.of(request);
            limit = query.intValue("limit", 10_000, 1, 10_000);
        } catch (InvalidRequestException e) {
            error(exchange, e.error());
            return;
        }
        String purpose = query.get("purpose");
        boolean ascending = "asc".equals(query.get("order"));
        String after = query.get("after");
        blocking(() -> {
            List<BatchFileRecord> rows = parts.store().batchFiles().listForKey(key.id(), purpose, after, limit + 1, ascending);
            List<BatchJson.NamedFile> out = new ArrayList<>();
            for (BatchFileRecord f : rows.subList(0, Math.min(limit, rows.size()))) {
                out.add(new BatchJson.NamedFile(f, parts.vault().name(f)));
            }
            return json.files(out, rows.size() > limit);
        }).onSuccess(body -> reply(exchange, 200, body)).onFailure(t -> failWith(exchange, t));
    }

    private void getFile(Exchange exchange, ApiKeyRecord key, String id) {
        blocking(() -> ownFile(key, id).map(f -> json.file(f, parts.vault().name(f))).orElse(null))
                .onSuccess(body -> {
                    if (body == null) {
                        error(exchange, fileNotFound());
                    } else {
                        reply(exchange, 200, body);
                    }
                }).onFailure(t -> failWith(exchange, t));
    }

    private static OpenAiError fileNotFound() {
        return new OpenAiError(404, "No such file: it does not exist, was deleted, expired, or belongs to another key.",
                OpenAiError.INVALID_REQUEST, "file_id", "file_not_found");
    }

    private void deleteFile(Exchange exchange, ApiKeyRecord key, String id) {
        blocking(() -> {
            BatchFileRecord file = ownFile(key, id).orElse(null);
            if (file == null) {
                // Already shredded (its batch ended, it expired, or an earlier delete): the client's delete has
                // nothing left to do, so it succeeds, with the receipt of that shredding. Clients that clean up after
                // a batch would otherwise fail on a 404.
                FileShredRecord shred = parts.store().batchFiles().findShred(id)
                        .filter(r -> r.keyId().equals(key.id())).orElse(null);
                if (shred == null) {
                    return (Object) fileNotFound();
                }
                return deletion(id, shred.deletedAt(), shred.keyRef());
            }
            if (file.purpose().equals(BatchFileRecord.PURPOSE_INPUT) && file.batchId() != null) {
                BatchRecord batch = parts.store().batches().find(file.batchId()).orElse(null);
                if (batch != null && !batch.terminal()) {
                    return new OpenAiError(409, "The file is the input of a batch that has not ended; cancel the batch "
                            + "first (its input is then deleted with it).", OpenAiError.INVALID_REQUEST, "file_id", "file_in_use");
                }
            }
            FileVault.Shredded shredded = parts.vault().shred(file.id(), parts.clock().millis()).orElse(null);
            if (shredded == null) {
                return fileNotFound();
            }
            return deletion(file.id(), shredded.deletedAtMillis(), shredded.keyRef());
        }).onSuccess(result -> {
            if (result instanceof OpenAiError e) {
                error(exchange, e);
            } else {
                reply(exchange, 200, (byte[]) result);
            }
        }).onFailure(t -> failWith(exchange, t));
    }

    /** OpenAI's answer to a file delete, with Veil's signed receipt of the key's destruction. */
    private byte[] deletion(String fileId, long deletedAtMillis, String keyRef) {
        long at = deletedAtMillis / 1000;
        return json(g -> {
            g.writeStartObject();
            g.writeStringField("id", fileId);
            g.writeStringField("object", "file");
            g.writeBooleanField("deleted", true);
            parts.receipts().write(g, fileId, at, keyRef);
            g.writeEndObject();
        });
    }

    private byte[] json(dev.veil.gateway.json.JsonWriter.Body body) {
        return new JsonWriter(mapper.getFactory()).write(body);
    }

    /**
     * Streams a file's content through a {@link FileDownload}: decrypted a piece at a time on an I/O worker, written
     * with backpressure, never whole in memory, and no worker held while the client is slow.
     */
    private void content(Exchange exchange, ApiKeyRecord key, String id) {
        HttpServerResponse response = exchange.response();
        Context context = parts.vertx().getOrCreateContext();
        blocking(() -> {
            BatchFileRecord file = ownFile(key, id).orElse(null);
            byte[] dataKey = file == null ? null : parts.vault().dataKey(file.id()).orElse(null);
            return dataKey == null ? null : new Object[] {file, dataKey};
        }).onFailure(t -> failWith(exchange, t)).onSuccess(found -> {
            if (found == null) {
                error(exchange, fileNotFound());
                return;
            }
            BatchFileRecord file = (BatchFileRecord) found[0];
            byte[] dataKey = (byte[]) found[1];
            meter.complete(exchange, 200);
            response.setStatusCode(200)
                    .putHeader("content-type", file.clientSealed() ? "application/octet-stream" : "application/jsonl")
                    .putHeader("content-length", Long.toString(file.bytes()));
            if (file.clientSealed()) {
                response.putHeader("x-veil-client-sealed", "v1");
            }
            new FileDownload(parts.vertx(), context, parts.io(), exchange.request(), () -> parts.vault().read(file, dataKey),
                    parts.config().downloadIdleTimeoutMs(), exchange.requestId(), file.id()).start();
        });
    }

    // ---- batches ----

    private void createBatch(Exchange exchange, ApiKeyRecord key) {
        HttpServerRequest request = exchange.request();
        Future<byte[]> body = BodyReader.read(request, MAX_JSON_BODY);
        request.resume();
        body.onFailure(t -> failWith(exchange, t)).onSuccess(bytes -> {
            NewBatch spec;
            try {
                spec = parseBatch(bytes);
            } catch (InvalidRequestException e) {
                error(exchange, e.error());
                return;
            }
            blocking(() -> create(key, spec)).onSuccess(result -> {
                if (result instanceof OpenAiError e) {
                    error(exchange, e);
                } else {
                    BatchRecord created = (BatchRecord) result;
                    parts.runner().submit(created.id());
                    reply(exchange, 200, json.batch(new BatchJson.Shown(created, spec.metadataJson())));
                }
            }).onFailure(t -> failWith(exchange, t));
        });
    }

    private record NewBatch(String inputFileId, String endpoint, JsonNode metadataJson, BatchMetadata metadata, Long ttlMs) {
    }

    private NewBatch parseBatch(byte[] bytes) throws InvalidRequestException {
        JsonNode node;
        try {
            node = mapper.readTree(bytes);
        } catch (IOException e) {
            throw invalid("The request body is not valid JSON.", null, "invalid_json");
        }
        if (node == null || !node.isObject()) {
            throw invalid("The request body must be a JSON object.", null, "invalid_json");
        }
        String input = requiredText(node, "input_file_id");
        String endpoint = requiredText(node, "endpoint");
        dev.veil.protocol.api.Endpoint served = dev.veil.protocol.api.Endpoint.byPath(endpoint);
        if (served == null || !served.batch()) {
            throw invalid("\"endpoint\" must be one of " + dev.veil.protocol.api.Endpoint.paths(
                    dev.veil.protocol.api.Endpoint::batch) + ".", "endpoint", "invalid_value");
        }
        String window = requiredText(node, "completion_window");
        if (!window.equals("24h")) {
            throw invalid("\"completion_window\" must be \"24h\".", "completion_window", "invalid_value");
        }
        JsonNode metadata = node.get("metadata");
        BatchMetadata read = BatchMetadata.read(metadata, mapper);
        Long ttl = ExpiresAfter.fromJson(node.get("output_expires_after"), "output_expires_after");
        return new NewBatch(input, endpoint, metadata == null || metadata.isNull() ? null : metadata, read, ttl);
    }

    private static String requiredText(JsonNode node, String field) throws InvalidRequestException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw invalid("Missing required parameter: \"" + field + "\".", field, "missing_required_parameter");
        }
        if (!v.isTextual()) {
            throw invalid("Invalid type for \"" + field + "\": expected a string.", field, "invalid_type");
        }
        return v.textValue();
    }

    private Object create(ApiKeyRecord key, NewBatch spec) throws IOException {
        BatchFileRecord input = parts.store().batchFiles().find(spec.inputFileId())
                .filter(f -> f.keyId().equals(key.id()) && f.status().equals(BatchFileRecord.PROCESSED)).orElse(null);
        if (input == null) {
            return new OpenAiError(404, "No such file: input_file_id names no file of this key.", OpenAiError.INVALID_REQUEST,
                    "input_file_id", "file_not_found");
        }
        if (!input.purpose().equals(BatchFileRecord.PURPOSE_INPUT)) {
            return OpenAiError.invalidRequest("input_file_id must name a file uploaded with purpose \"batch\".",
                    "input_file_id", "invalid_value");
        }
        if (input.batchId() != null) {
            return OpenAiError.invalidRequest("This input file is already used by another batch; upload it again for a "
                    + "new batch.", "input_file_id", "file_in_use");
        }
        long now = parts.clock().millis();
        String id = "batch_" + HEX.formatHex(dev.veil.protocol.stream.SegmentedAead.random(12));
        long configured = parts.config().outputTtlHours() * 3_600_000L;
        long ttl = spec.ttlMs() == null ? configured : Math.min(configured, spec.ttlMs());
        String sealedMetadata = spec.metadataJson() == null ? null
                : parts.vault().master().sealMetadata(id, mapper.writeValueAsBytes(spec.metadataJson()));
        String clientKey = spec.metadata().clientKey() == null ? null
                : dev.veil.protocol.batch.ClientSealing.encodeKey(spec.metadata().clientKey());
        BatchRecord batch = new BatchRecord(id, key.id(), spec.endpoint(), "24h", input.id(), null, null,
                BatchRecord.VALIDATING, sealedMetadata, clientKey, ttl, 0, 0, 0, 0, null, now, null, null, null, null,
                null, null, null, now + 24 * 3_600_000L);
        if (!parts.store().batches().create(batch)) {
            return OpenAiError.invalidRequest("This input file is already used by another batch; upload it again for a "
                    + "new batch.", "input_file_id", "file_in_use");
        }
        return batch;
    }

    private BatchJson.Shown shown(BatchRecord batch) {
        JsonNode metadata = null;
        if (batch.metadataSealed() != null) {
            try {
                metadata = mapper.readTree(parts.vault().master().openMetadata(batch.id(), batch.metadataSealed()));
            } catch (IOException | RuntimeException e) {
                metadata = mapper.createObjectNode();
            }
        }
        return new BatchJson.Shown(batch, metadata);
    }

    private Optional<BatchRecord> ownBatch(ApiKeyRecord key, String id) {
        return parts.store().batches().find(id).filter(b -> b.keyId().equals(key.id()));
    }

    private static OpenAiError batchNotFound() {
        return new OpenAiError(404, "No such batch: it does not exist, its record expired, or it belongs to another key.",
                OpenAiError.INVALID_REQUEST, "batch_id", "batch_not_found");
    }

    private void getBatch(Exchange exchange, ApiKeyRecord key, String id) {
        blocking(() -> ownBatch(key, id).map(b -> json.batch(shown(b))).orElse(null)).onSuccess(body -> {
            if (body == null) {
                error(exchange, batchNotFound());
            } else {
                reply(exchange, 200, body);
            }
        }).onFailure(t -> failWith(exchange, t));
    }

    private void listBatches(Exchange exchange, ApiKeyRecord key) {
        HttpServerRequest request = exchange.request();
        int limit;
        dev.veil.gateway.http.QueryParams query;
        try {
            query = dev.veil.gateway.http.QueryParams.of(request);
            limit = query.intValue("limit", 20, 1, 100);
        } catch (InvalidRequestException e) {
            error(exchange, e.error());
            return;
        }
        String after = query.get("after");
        blocking(() -> {
            List<BatchRecord> rows = parts.store().batches().listForKey(key.id(), after, limit + 1);
            List<BatchJson.Shown> out = rows.subList(0, Math.min(limit, rows.size())).stream().map(this::shown).toList();
            return json.batches(out, rows.size() > limit);
        }).onSuccess(body -> reply(exchange, 200, body)).onFailure(t -> failWith(exchange, t));
    }

    private void cancelBatch(Exchange exchange, ApiKeyRecord key, String id) {
        blocking(() -> {
            BatchRecord batch = ownBatch(key, id).orElse(null);
            if (batch == null) {
                return (Object) batchNotFound();
            }
            if (batch.status().equals(BatchRecord.CANCELLING) || batch.status().equals(BatchRecord.CANCELLED)) {
                return batch;
            }
            boolean moved = parts.store().batches().transition(id, Set.of(BatchRecord.VALIDATING, BatchRecord.IN_PROGRESS),
                    BatchRecord.CANCELLING, "cancelling_at", parts.clock().millis());
            if (!moved) {
                return new OpenAiError(409, "The batch has already ended (or is finalizing) and cannot be cancelled.",
                        OpenAiError.INVALID_REQUEST, "batch_id", "batch_not_cancellable");
            }
            parts.runner().cancel(id);
            return parts.store().batches().find(id).orElseThrow();
        }).onSuccess(result -> {
            if (result instanceof OpenAiError e) {
                error(exchange, e);
            } else {
                reply(exchange, 200, json.batch(shown((BatchRecord) result)));
            }
        }).onFailure(t -> failWith(exchange, t));
    }

    // ---- plumbing ----

    private interface Work<T> {
        T run() throws Exception;
    }

    private <T> Future<T> blocking(Work<T> work) {
        return parts.jdbc().executeBlocking(work::run, false);
    }

    private static InvalidRequestException invalid(String message, String param, String code) {
        return new InvalidRequestException(OpenAiError.invalidRequest(message, param, code));
    }

    private void reply(Exchange exchange, int status, byte[] body) {
        meter.complete(exchange, status);
        Responses.json(exchange.response(), status, body);
    }

    private void unknownPath(Exchange exchange) {
        error(exchange, new OpenAiError(404, "Unknown path under the Files and Batches API.", OpenAiError.INVALID_REQUEST,
                null, "unknown_url"));
    }

    private void methodNotAllowed(Exchange exchange, String allowed) {
        replies.methodNotAllowed(exchange, allowed);
    }

    private void failWith(Exchange exchange, Throwable failure) {
        replies.failWith(exchange, failure);
    }

    private void error(Exchange exchange, OpenAiError error) {
        replies.error(exchange, error);
    }

    private void fail(Exchange exchange, Throwable failure) {
        replies.fail(exchange, failure);
    }

}
