package dev.veil.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/** Turns JMH's JSON result file into the micro-benchmark table of docs/benchmarks.md. */
public final class JmhReport {

    /** What each benchmark measures, and the target where there is one (µs). */
    private record Known(String what, double targetMicros) {
    }

    private static final Map<String, Known> KNOWN = Map.ofEntries(
            Map.entry("RequestRewriteBench.inspect", new Known("request inspection (validate, extract model/stream/policy)", Double.NaN)),
            Map.entry("RequestRewriteBench.rewrite", new Known("request rewrite (upstream body)", Double.NaN)),
            Map.entry("RequestRewriteBench.inspectAndRewrite", new Known("**request inspection + rewrite, per request**", Double.NaN)),
            Map.entry("SseUsageScanBench.contentChunk", new Known("SSE usage scan, one content chunk", Double.NaN)),
            Map.entry("SseUsageScanBench.usageChunk", new Known("SSE usage scan, the final usage chunk (parsed, dropped)", Double.NaN)),
            Map.entry("SseUsageScanBench.wholeStream", new Known("SSE usage scan, a whole 20-chunk stream", Double.NaN)),
            Map.entry("HpkeBench.clientSeal", new Known("e2ee client: HPKE setup + seal of a request", Double.NaN)),
            Map.entry("HpkeBench.nodeOpen", new Known("e2ee node: HPKE setup + open + replay check", Double.NaN)),
            Map.entry("HpkeBench.requestSetupBothSides", new Known("**e2ee crypto per request, both sides** (seal, open, response keys, head)", 150)),
            Map.entry("HpkeBench.receiptSign", new Known("e2ee node: Ed25519 receipt signature", Double.NaN)),
            Map.entry("HpkeBench.receiptVerify", new Known("e2ee client: receipt signature check", Double.NaN)),
            Map.entry("ChunkBench.nodeSealChunk", new Known("e2ee node: seal one SSE event", Double.NaN)),
            Map.entry("ChunkBench.sealAndOpenChunk", new Known("**e2ee crypto per chunk, both sides** (seal + open)", 5)),
            Map.entry("ReceiptSignBench.issueOnly", new Known("privacy receipt from the route's cached rendering, unsigned (body hash included)", Double.NaN)),
            Map.entry("ReceiptSignBench.bodyHash", new Known("SHA-256 of a typical chat body (about 500 bytes)", Double.NaN)),
            Map.entry("ReceiptSignBench.bodyHash16k", new Known("SHA-256 of a 16 KiB body", Double.NaN)),
            Map.entry("ReceiptSignBench.issueAndSignWhole", new Known("**signed privacy receipt, per whole answer** (hash + one Ed25519 signature)", Double.NaN)),
            Map.entry("ReceiptSignBench.issueAndSignStream", new Known("**signed privacy receipts, per stream** (hash + two signatures)", Double.NaN)),
            Map.entry("ReceiptSignBench.clientVerify", new Known("client: signed receipt check (signature, parse, body hash)", Double.NaN)));

    private JmhReport() {
    }

    static double toMicros(double score, String unit) {
        return switch (unit) {
            case "ns/op" -> score / 1000;
            case "us/op" -> score;
            case "ms/op" -> score * 1000;
            case "s/op" -> score * 1_000_000;
            default -> Double.NaN;
        };
    }

    public static String markdown(Path json, String command) throws Exception {
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        StringBuilder b = new StringBuilder();
        b.append("### Last JMH run: ")
                .append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append("\n\n`").append(command).append("`, JDK ").append(root.path(0).path("jdkVersion").asText("?"))
                .append(", ").append(root.path(0).path("forks").asInt()).append(" fork, ")
                .append(root.path(0).path("warmupIterations").asInt()).append(" × ").append(root.path(0).path("warmupTime").asText())
                .append(" warm-up, ").append(root.path(0).path("measurementIterations").asInt()).append(" × ")
                .append(root.path(0).path("measurementTime").asText()).append(" measured, one thread, pinned to one core. "
                        + "Average time per operation ± the 99.9 % confidence half-width JMH reports.\n\n");
        b.append("| benchmark | what it measures | time per operation | target |\n|---|---|---|---|\n");
        for (JsonNode r : root) {
            String full = r.path("benchmark").asText();
            String[] parts = full.split("\\.");
            String name = parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : full;
            JsonNode pm = r.path("primaryMetric");
            double score = pm.path("score").asDouble(Double.NaN);
            double error = pm.path("scoreError").asDouble(Double.NaN);
            String unit = pm.path("scoreUnit").asText();
            double micros = toMicros(score, unit);
            double errMicros = toMicros(error, unit);
            Known k = KNOWN.getOrDefault(name, new Known("", Double.NaN));
            String verdict = Double.isNaN(k.targetMicros()) ? "—"
                    : Report.verdict(micros, k.targetMicros(), true, "", Report::us);
            b.append("| `").append(name).append("` | ").append(k.what()).append(" | ").append(Report.us(micros));
            if (!Double.isNaN(errMicros)) {
                b.append(" ± ").append(Report.us(errMicros));
            }
            b.append(" | ").append(verdict).append(" |\n");
        }
        return b.toString();
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
