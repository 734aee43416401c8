package dev.veil.gateway.batch.runner;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.gateway.batch.BatchMetadata;
import dev.veil.gateway.batch.files.FileVault;
import dev.veil.gateway.batch.files.LeaseLostException;
import dev.veil.store.BatchFileChunkRepository;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageEstimator;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.protocol.policy.Constraint;
import dev.veil.protocol.policy.RequestPolicy;
import dev.veil.gateway.policy.RoutePlan;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.limits.Admission;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.batch.ClientSealing;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.BatchFileRecord;
import dev.veil.store.BatchRecord;
import dev.veil.store.RequestRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch's run, on a {@code veil-batch} thread. It validates the input in a streaming pass (request count,
 * integrity, repeated custom ids), then works through the input in chunks of {@code batch.chunk_lines} lines: each
 * line is checked, routed under the key's and the batch's policy, and called with retries; its result goes into a new
 * encrypted part of the output or error file; when the chunk is done the parts are forced to disk and the progress
 * (next line, counters, part counts) is committed in one transaction with the metering of the chunk's lines. A restart deletes parts beyond the committed
 * counts and resumes at the committed line, so no result is ever in a file twice. Logs carry ids and classes only.
 *
 * <p>The job runs while this instance holds the batch's lease ({@link BatchRunner}). The progress commit (and, with
 * shared storage, every output chunk) is fenced by that lease: once another instance took the batch over, the job's
 * writes are refused and it stops without ending the batch, leaving it to the new holder.
 */
final class BatchJob implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchJob.class);
    private static final long RATE_LIMIT_WAIT_MS = 500;

    private final BatchRunner runner;
    private final BatchRunner.Parts parts;
    private final String batchId;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean cancel;
    private volatile boolean expire;
    private volatile boolean shutdown;
    private volatile boolean leaseLost;

    BatchJob(BatchRunner runner, String batchId) {
        this.runner = runner;
        this.parts = runner.parts;
        this.batchId = batchId;
    }

    String batchId() {
        return batchId;
    }

    boolean started() {
        return started.get();
    }

    void cancel() {
        cancel = true;
    }

    void expire() {
        expire = true;
    }

    void shutdown() {
        shutdown = true;
    }

    /** Another instance took the batch over: stop at the next step, leaving the batch as it is. */
    void leaseLost() {
        leaseLost = true;
    }

    boolean lostLease() {
        return leaseLost;
    }

    private long now() {
        return parts.clock().millis();
    }

    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        try {
            execute();
        } catch (Stopped | LeaseLostException e) {
            if (leaseLost || e instanceof LeaseLostException) {
                leaseLost = true;
                LOG.warn("batch_id={} stopped: this instance lost its lease; the instance holding it finishes the batch",
                        batchId);
            } else {
                LOG.info("batch_id={} paused for shutdown; it resumes on the next start or on another instance", batchId);
            }
        } catch (Throwable t) {
            if (leaseLost) {
                LOG.warn("batch_id={} stopped after its lease was lost: {}", batchId, t.getClass().getSimpleName());
            } else if (shutdown || runner.closing()) {
                LOG.info("batch_id={} stopped with the gateway: {}", batchId, t.getClass().getSimpleName());
            } else {
                LOG.error("batch_id={} failed internally: {}", batchId, t.getClass().getName());
                try {
                    parts.store().batches().find(batchId).ifPresent(b -> failBatch(b, "internal_error"));
                } catch (RuntimeException e) {
                    LOG.error("batch_id={} could not be marked failed: {}", batchId, e.getClass().getName());
                }
            }
        } finally {
            runner.done(this);
        }
    }

    /** Thrown to leave a run without ending the batch (gateway shutting down). */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    private void execute() throws IOException, InterruptedException {
        BatchRecord batch = parts.store().batches().find(batchId).orElse(null);
        if (batch == null || batch.terminal()) {
            return;
        }
        if (cancel || batch.status().equals(BatchRecord.CANCELLING)) {
            end(batch, BatchRecord.CANCELLED);
            return;
        }
        if (expire || now() >= batch.expiresAt()) {
            end(batch, BatchRecord.EXPIRED);
            return;
        }
        ApiKeyRecord key = parts.store().apiKeys().findById(batch.keyId()).filter(ApiKeyRecord::active).orElse(null);
        if (key == null) {
            failBatch(batch, "api_key_revoked");
            return;
        }
        FileVault vault = parts.vault();
        BatchFileRecord input = parts.store().batchFiles().find(batch.inputFileId()).orElse(null);
        byte[] inputKey = input == null ? null : vault.dataKey(input.id()).orElse(null);
        if (inputKey == null) {
            failBatch(batch, "input_file_missing");
            return;
        }
        BatchMetadata metadata;
        try {
            metadata = batch.metadataSealed() == null ? BatchMetadata.NONE
                    : BatchMetadata.read(runner.mapper.readTree(vault.master().openMetadata(batchId, batch.metadataSealed())),
                    runner.mapper);
        } catch (InvalidRequestException | IOException e) {
            failBatch(batch, "invalid_metadata");
            return;
        }
        Endpoint endpoint = endpointOf(batch.endpoint());

        InputScan.Result scan;
        try (InputStream in = vault.read(input, inputKey)) {
            scan = InputScan.scan(in, parts.json(), parts.maxLineBytes(), parts.config().maxLines());
        } catch (InputScan.TooManyLines e) {
            failBatch(batch, "too_many_requests");
            return;
        } catch (IOException e) {
            failBatch(batch, "input_unreadable");
            return;
        }
        if (scan.requests() == 0) {
            failBatch(batch, "empty_input");
            return;
        }
        stopIfShuttingDown();
        if (batch.status().equals(BatchRecord.VALIDATING)) {
            parts.store().batches().setTotal(batchId, scan.requests());
            if (batch.outputFileId() == null) {
                createOutputs(batch, metadata.clientKey() != null);
            }
            if (!parts.store().batches().transition(batchId, Set.of(BatchRecord.VALIDATING), BatchRecord.IN_PROGRESS,
                    "in_progress_at", now())) {
                // Cancelled meanwhile.
                batch = parts.store().batches().find(batchId).orElseThrow();
                end(batch, batch.status().equals(BatchRecord.CANCELLING) ? BatchRecord.CANCELLED : batch.status());
                return;
            }
            batch = parts.store().batches().find(batchId).orElseThrow();
        } else if (batch.status().equals(BatchRecord.FINALIZING)) {
            end(batch, BatchRecord.COMPLETED);
            return;
        }
        LOG.info("batch_id={} running from line {} of {}", batchId, batch.nextLine(), scan.lines());
        run(batch, key, input, inputKey, metadata, endpoint, scan.duplicates());
    }

    private void createOutputs(BatchRecord batch, boolean clientSealed) {
        long now = now();
        FileVault.NewFile output = parts.vault().prepare(FileVault.newFileId(), batch.keyId(), BatchFileRecord.PURPOSE_OUTPUT,
                BatchFileRecord.PENDING, batchId + "_output.jsonl", batchId, clientSealed, now, null);
        FileVault.NewFile errors = parts.vault().prepare(FileVault.newFileId(), batch.keyId(), BatchFileRecord.PURPOSE_OUTPUT,
                BatchFileRecord.PENDING, batchId + "_error.jsonl", batchId, clientSealed, now, null);
        parts.store().batches().attachOutputs(batchId, output.record(), output.key(), errors.record(), errors.key());
    }

    /** The results of one chunk, as they are written. */
    private final class Chunk {
        final PartWriter out;
        final PartWriter err;
        /** The lines' metering, committed with the chunk's progress. */
        final List<RequestRecord> metered = new ArrayList<>();
        long completed;
        long failed;

        Chunk(PartWriter out, PartWriter err) {
            this.out = out;
            this.err = err;
        }
    }

    /** A line ready to be routed, or rejected before routing. */
    private record Prepared(long lineNumber, String customId, OpenAiError lineError, InferenceRequest request, Model model,
                            byte[] body) {
    }

    /** A routed line's end. */
    private record Done(Prepared line, String requestId, Instant startedAt, long startNanos, int status, byte[] okBody,
                        byte[] errorBody, Route route, Throwable failure) {
    }

    private void run(BatchRecord batch, ApiKeyRecord key, BatchFileRecord input, byte[] inputKey, BatchMetadata metadata,
                     Endpoint endpoint, BitSet duplicates) throws IOException, InterruptedException {
        FileVault vault = parts.vault();
        BatchFileRecord outFile = parts.store().batchFiles().find(batch.outputFileId()).orElseThrow();
        BatchFileRecord errFile = parts.store().batchFiles().find(batch.errorFileId()).orElseThrow();
        byte[] outKey = vault.dataKey(outFile.id()).orElseThrow();
        byte[] errKey = vault.dataKey(errFile.id()).orElseThrow();
        int outParts = outFile.parts();
        int errParts = errFile.parts();
        long outBytes = outFile.bytes();
        long errBytes = errFile.bytes();
        // Parts written after the last commit (a crash mid-chunk) are not part of the files: remove them.
        vault.files().deletePartsFrom(outFile.id(), outParts);
        vault.files().deletePartsFrom(errFile.id(), errParts);
        long completed = batch.completed();
        long failed = batch.failed();
        long line = batch.nextLine();
        byte[] clientKey = metadata.clientKey();
        ResultLines lines = new ResultLines(parts.json());
        String target = BatchRecord.COMPLETED;
        BatchFileChunkRepository.Fence fence = new BatchFileChunkRepository.Fence(batchId, runner.owner());

        try (InputStream in = vault.read(input, inputKey)) {
            LineReader reader = new LineReader(in, parts.maxLineBytes());
            for (long skipped = 0; skipped < line; skipped++) {
                if (reader.next() == null) {
                    break;
                }
            }
            while (true) {
                stopIfShuttingDown();
                if (cancel) {
                    target = BatchRecord.CANCELLED;
                    break;
                }
                if (expire || now() >= batch.expiresAt()) {
                    target = BatchRecord.EXPIRED;
                    break;
                }
                key = parts.store().apiKeys().findById(key.id()).filter(ApiKeyRecord::active).orElse(null);
                if (key == null) {
                    failBatch(batch, "api_key_revoked");
                    return;
                }
                List<byte[]> chunkLines = new ArrayList<>();
                byte[] next;
                while (chunkLines.size() < parts.config().chunkLines() && (next = reader.next()) != null) {
                    chunkLines.add(next);
                }
                if (chunkLines.isEmpty()) {
                    break;
                }
                Chunk chunk = new Chunk(
                        new PartWriter(vault.files(), fence, outFile.id(), outParts, outKey, clientKey, batchId,
                                ClientSealing.KIND_OUTPUT),
                        new PartWriter(vault.files(), fence, errFile.id(), errParts, errKey, clientKey, batchId,
                                ClientSealing.KIND_ERRORS));
                int done = runChunk(chunk, chunkLines, line, key, metadata, endpoint, duplicates, lines);
                chunk.out.close();
                chunk.err.close();
                stopIfShuttingDown();
                if (chunk.out.opened()) {
                    outParts++;
                    outBytes += chunk.out.bytes();
                }
                if (chunk.err.opened()) {
                    errParts++;
                    errBytes += chunk.err.bytes();
                }
                line += done;
                completed += chunk.completed;
                failed += chunk.failed;
                // Fenced by the lease: if another instance took the batch over meanwhile, nothing of this chunk counts
                // (its parts lie beyond the committed counts, and the new holder deleted or will delete them).
                if (!parts.store().batches().commitProgress(runner.owner(), batchId, line, completed, failed, outFile.id(),
                        outParts, outBytes, errFile.id(), errParts, errBytes, chunk.metered)) {
                    leaseLost = true;
                    throw new Stopped();
                }
                if (done < chunkLines.size()) {
                    // Cancelled mid-chunk: the rest was never started.
                    target = BatchRecord.CANCELLED;
                    break;
                }
            }
        }
        end(parts.store().batches().find(batchId).orElseThrow(), target);
    }

    /**
     * Runs one chunk; returns how many of its lines were done (all of them, unless cancelled part way: then the lines
     * not started are left for nobody).
     */
    private int runChunk(Chunk chunk, List<byte[]> chunkLines, long firstIndex, ApiKeyRecord key, BatchMetadata metadata,
                         Endpoint endpoint, BitSet duplicates, ResultLines lines) throws IOException, InterruptedException {
        LinkedBlockingQueue<Done> results = new LinkedBlockingQueue<>();
        int inFlight = 0;
        int started = 0;
        int limit = parts.config().concurrency();
        for (byte[] raw : chunkLines) {
            long index = firstIndex + started;
            if (cancel) {
                break;
            }
            started++;
            if (raw != LineReader.TOO_LONG && LineReader.blank(raw)) {
                continue;
            }
            Prepared line = prepare(raw, index, endpoint, duplicates.get((int) index), metadata);
            if (line.lineError() != null) {
                chunk.err.write(lines.lineError(line.customId(), line.lineError(), line.lineNumber()));
                chunk.failed++;
                continue;
            }
            while (inFlight >= limit) {
                handle(chunk, results.take(), key, lines);
                inFlight--;
            }
            if (cancel) {
                // Cancelled while waiting for a free slot: this line is not started (nor counted as done).
                started--;
                break;
            }
            runner.global.acquire();
            inFlight++;
            start(line, key).onComplete(r -> results.add(r.succeeded() ? r.result()
                    : new Done(line, null, Instant.now(), System.nanoTime(), 500, null, null, null, r.cause())));
        }
        while (inFlight > 0) {
            handle(chunk, results.take(), key, lines);
            inFlight--;
        }
        return started;
    }

    private void handle(Chunk chunk, Done done, ApiKeyRecord key, ResultLines lines) throws IOException {
        runner.global.release();
        Prepared line = done.line();
        String label = "batch." + line.request().endpoint().label();
        if (done.failure() != null) {
            LOG.warn("batch_id={} line {} failed internally: {}", batchId, line.lineNumber(), done.failure().getClass().getName());
            OpenAiError error = new OpenAiError(500, "The gateway failed to handle this request.", OpenAiError.SERVER, null,
                    "internal_error");
            chunk.err.write(lines.lineError(line.customId(), error, line.lineNumber()));
            chunk.failed++;
            return;
        }
        Usage usage = Usage.NONE;
        int status = done.status();
        byte[] written = null;
        if (done.okBody() != null) {
            Usage read = new UsageReader(parts.json()).read(done.okBody(), 0, done.okBody().length,
                    line.request().endpoint().usage());
            // An answer without usage is counted by Veil (this is the job's own thread, not an event loop) and billed
            // as estimated, never as zero.
            usage = read != null || done.route() == null ? read
                    : new UsageEstimator(parts.json()).count(line.body(), done.okBody(), done.route().tokenizer());
            written = lines.response(line.customId(), status, done.requestId(), done.okBody());
            if (written == null) {
                status = 502;
            }
        }
        chunk.metered.add(parts.meter().completeBatchLine(done.requestId(), key, done.startedAt(), done.startNanos(),
                label, line.model().id(), done.route(), status, usage));
        if (written != null) {
            chunk.out.write(written);
            chunk.completed++;
            return;
        }
        byte[] errorBody = done.errorBody() != null ? done.errorBody() : new OpenAiError(502,
                "The upstream provider's answer was not valid JSON.", OpenAiError.UPSTREAM, null, "upstream_invalid_response").toJson();
        chunk.err.write(lines.response(line.customId(), status, done.requestId(), errorBody));
        chunk.failed++;
    }

    private Future<Done> start(Prepared line, ApiKeyRecord key) {
        Instant startedAt = Instant.now();
        String requestId = parts.meter().requestId(key, startedAt);
        long startNanos = System.nanoTime();
        return admit(key).compose(admission -> {
            if (!admission.admitted()) {
                OpenAiError refusal = admission.refusal();
                return Future.succeededFuture(new Done(line, requestId, startedAt, startNanos, refusal.httpStatus(), null,
                        refusal.toJson(), null, null));
            }
            RoutePlan plan = parts.planner().plan(line.model(), key.policy(), line.request().policy(), null,
                    line.request().endpoint().api());
            List<Route> candidates = plan.candidates().stream().filter(r -> !r.node()).toList();
            if (plan.candidates().isEmpty()) {
                int status = parts.refusal().status(plan);
                return Future.succeededFuture(new Done(line, requestId, startedAt, startNanos, status, null,
                        parts.refusal().body(plan), null, null));
            }
            if (candidates.isEmpty()) {
                OpenAiError unsupported = new OpenAiError(400, "The routes of this model that the policy allows are Veil "
                        + "nodes (end-to-end encrypted); batches cannot use them.", OpenAiError.INVALID_REQUEST, "body.model",
                        "batch_model_unsupported");
                return Future.succeededFuture(new Done(line, requestId, startedAt, startNanos, 400, null,
                        unsupported.toJson(), null, null));
            }
            return runner.caller.call(line.request(), candidates, line.body()).map(outcome -> outcome.ok()
                    ? new Done(line, requestId, startedAt, startNanos, outcome.status(), outcome.body(), null, outcome.route(), null)
                    : new Done(line, requestId, startedAt, startNanos, outcome.status(), null, outcome.error().toJson(),
                    outcome.route(), null));
        });
    }

    /**
     * Admits a line under the key's limits; over a rate limit, or while the shared limiter cannot be reached, it waits
     * instead of failing the line.
     */
    private Future<Admission> admit(ApiKeyRecord key) {
        return parts.limits().admitBatchLine(key).compose(admission -> {
            if (admission.admitted() || !waitable(admission.refusal().code()) || cancel || shutdown || leaseLost) {
                return Future.succeededFuture(admission);
            }
            Promise<Admission> later = Promise.promise();
            parts.vertx().setTimer(RATE_LIMIT_WAIT_MS, id -> admit(key).onComplete(later));
            return later.future();
        });
    }

    private static boolean waitable(String code) {
        return "rate_limit_exceeded".equals(code) || "rate_limiter_unavailable".equals(code);
    }

    /** Checks one line; every problem is reported against the line, never quoting it. */
    private Prepared prepare(byte[] raw, long index, Endpoint endpoint, boolean duplicate, BatchMetadata metadata) {
        long number = index + 1;
        if (raw == LineReader.TOO_LONG) {
            return rejected(number, null, "The line is longer than this gateway's limit of " + parts.maxLineBytes() + " bytes.",
                    null, "request_too_large");
        }
        JsonNode node;
        try {
            node = runner.mapper.readTree(raw);
        } catch (JsonParseException e) {
            String where = e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")";
            return rejected(number, null, "Line " + number + " is not valid JSON" + where + ".", null, "invalid_json");
        } catch (IOException e) {
            return rejected(number, null, "Line " + number + " is not valid JSON.", null, "invalid_json");
        }
        if (node == null || !node.isObject()) {
            return rejected(number, null, "Line " + number + " must be a JSON object.", null, "invalid_json");
        }
        JsonNode id = node.get("custom_id");
        if (id == null || id.isNull()) {
            return rejected(number, null, "Missing required parameter: \"custom_id\".", "custom_id", "missing_required_parameter");
        }
        if (!id.isTextual() || id.textValue().isEmpty()) {
            return rejected(number, null, "\"custom_id\" must be a non-empty string.", "custom_id", "invalid_type");
        }
        String customId = id.textValue();
        if (duplicate) {
            return rejected(number, customId, "\"custom_id\" repeats the custom_id of an earlier line; each request needs its "
                    + "own.", "custom_id", "duplicate_custom_id");
        }
        JsonNode method = node.get("method");
        if (method == null || !method.isTextual() || !method.textValue().equals("POST")) {
            return rejected(number, customId, "\"method\" must be \"POST\".", "method", "invalid_value");
        }
        JsonNode url = node.get("url");
        String expected = "/v1" + endpoint.upstreamPath();
        if (url == null || !url.isTextual() || !url.textValue().equals(expected)) {
            return rejected(number, customId, "\"url\" must be the batch's endpoint, " + expected + ".", "url", "invalid_value");
        }
        JsonNode body = node.get("body");
        if (body == null || !body.isObject()) {
            return rejected(number, customId, "\"body\" must be a JSON object: the request for " + expected + ".", "body",
                    body == null ? "missing_required_parameter" : "invalid_type");
        }
        byte[] bodyBytes;
        InferenceRequest request;
        try {
            // The client's own bytes, not a re-serialisation: numbers such as 1e400 or 0.30000000000000000000000000001
            // and every unknown member reach the upstream exactly as written, as on the live path.
            bodyBytes = memberValueBytes(raw, "body");
            request = parts.inspector().inspect(endpoint, bodyBytes);
        } catch (InvalidRequestException e) {
            OpenAiError error = e.error();
            return rejected(number, customId, error.message(), error.param() == null ? "body" : "body." + error.param(),
                    error.code());
        } catch (IOException e) {
            return rejected(number, customId, "\"body\" could not be read.", "body", "invalid_json");
        }
        if (request.stream()) {
            return rejected(number, customId, "Batch requests cannot stream; leave out \"stream\" or set it to false.",
                    "body.stream", "invalid_value");
        }
        Model model = parts.catalog().find(request.model());
        if (model == null) {
            return rejected(number, customId, "The model does not exist on this gateway; GET /v1/models lists the models you "
                    + "can use.", "body.model", "model_not_found");
        }
        if (!dev.veil.gateway.policy.RoutePlanner.speaks(model, endpoint.api())) {
            OpenAiError error = dev.veil.gateway.policy.EndpointSupport.notServed(endpoint);
            return rejected(number, customId, error.message(), "body.model", error.code());
        }
        RequestPolicy own = request.policy();
        if (!metadata.privacy().isEmpty()) {
            List<Constraint> constraints = new ArrayList<>(own.constraints());
            constraints.addAll(metadata.privacy());
            own = new RequestPolicy(constraints, own.order(), own.allowFallbacks(), own.sort(), own.fallbackModels());
        }
        request = new InferenceRequest(request.endpoint(), model.id(), false, false, own);
        return new Prepared(number, customId, null, request, model, bodyBytes);
    }

    /**
     * The bytes of the value of the line's top-level member {@code name}, as they stand in {@code line} (the line
     * was parsed whole already, so it is one JSON object holding that member).
     */
    private byte[] memberValueBytes(byte[] line, String name) throws IOException {
        try (JsonParser parser = runner.mapper.getFactory().createParser(line)) {
            parser.nextToken();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean wanted = name.equals(parser.currentName());
                parser.nextToken();
                long start = parser.currentTokenLocation().getByteOffset();
                parser.skipChildren();
                if (wanted) {
                    long end = parser.currentLocation().getByteOffset();
                    return Arrays.copyOfRange(line, (int) start, (int) end);
                }
            }
        }
        throw new IOException("member not found");
    }

    private static Prepared rejected(long number, String customId, String message, String param, String code) {
        return new Prepared(number, customId, OpenAiError.invalidRequest(message, param, code), null, null, null);
    }

    /** Ends a batch in {@code target}: outputs published (or removed when empty), the input shredded. */
    private void end(BatchRecord batch, String target) {
        var batches = parts.store().batches();
        long now = now();
        if (target.equals(BatchRecord.COMPLETED)) {
            batches.transition(batchId, Set.of(BatchRecord.IN_PROGRESS), BatchRecord.FINALIZING, "finalizing_at", now);
        }
        publishOutputs(batch, now);
        boolean moved = switch (target) {
            case BatchRecord.COMPLETED -> batches.transition(batchId, Set.of(BatchRecord.FINALIZING), BatchRecord.COMPLETED,
                    "completed_at", now());
            case BatchRecord.CANCELLED -> batches.transition(batchId, Set.of(BatchRecord.VALIDATING, BatchRecord.IN_PROGRESS,
                    BatchRecord.CANCELLING, BatchRecord.FINALIZING), BatchRecord.CANCELLED, "cancelled_at", now());
            case BatchRecord.EXPIRED -> batches.transition(batchId, Set.of(BatchRecord.VALIDATING, BatchRecord.IN_PROGRESS,
                    BatchRecord.CANCELLING, BatchRecord.FINALIZING), BatchRecord.EXPIRED, "expired_at", now());
            default -> false;
        };
        if (!moved && target.equals(BatchRecord.COMPLETED)) {
            // Cancelled between the last chunk and now: it still ends, as cancelled.
            batches.transition(batchId, Set.of(BatchRecord.CANCELLING), BatchRecord.CANCELLED, "cancelled_at", now());
        }
        parts.vault().shred(batch.inputFileId(), now());
        LOG.info("batch_id={} ended", batchId);
    }

    private void failBatch(BatchRecord batch, String code) {
        parts.store().batches().fail(batchId, code, now());
        publishOutputs(parts.store().batches().find(batchId).orElse(batch), now());
        parts.vault().shred(batch.inputFileId(), now());
        LOG.info("batch_id={} failed: {}", batchId, code);
    }

    /** Makes the output and error files readable for their time to live, or removes those without lines. */
    private void publishOutputs(BatchRecord batch, long now) {
        var files = parts.store().batchFiles();
        String[][] outputs = {{batch.outputFileId(), "output_file_id"}, {batch.errorFileId(), "error_file_id"}};
        for (String[] output : outputs) {
            if (output[0] == null) {
                continue;
            }
            BatchFileRecord file = files.find(output[0]).orElse(null);
            if (file == null) {
                continue;
            }
            if (file.parts() > 0) {
                parts.vault().files().deletePartsFromQuietly(file.id(), file.parts());
                files.publish(file.id(), now + batch.outputTtlMs());
            } else {
                parts.vault().shred(file.id(), now);
                parts.store().batches().clearFile(batchId, output[1]);
            }
        }
    }

    private void stopIfShuttingDown() {
        if (shutdown || leaseLost || runner.closing() || Thread.currentThread().isInterrupted()) {
            throw new Stopped();
        }
    }

    static Endpoint endpointOf(String path) {
        Endpoint endpoint = Endpoint.byPath(path);
        if (endpoint == null || !endpoint.batch()) {
            throw new IllegalArgumentException("not a batch endpoint");
        }
        return endpoint;
    }

}
