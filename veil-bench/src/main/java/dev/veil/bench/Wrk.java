package dev.veil.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * wrk (Debian package) for the maximum-throughput cell: one C thread drives far more requests than a JVM client on
 * the same core, so the proxy on the other core, not the generator, is the limit. Closed loop by design, which is
 * right for a throughput ceiling; the latency cells use {@link LoadGen}.
 */
final class Wrk {

    /** One wrk run: throughput and latency percentiles as wrk reports them (µs resolution). */
    record Result(double rps, double p50us, double p99us, long requests, long failed, String firstError) {
        double successPct() {
            return LoadGen.pct(requests - failed, requests);
        }
    }

    private Wrk() {
    }

    static boolean available() {
        return !Target.firstLine(List.of("sh", "-c", "command -v wrk")).isEmpty();
    }

    /** A Lua script that POSTs {@code body} with the destination's headers. */
    static Path script(Path dir, Dest dest, byte[] body) throws Exception {
        StringBuilder lua = new StringBuilder("wrk.method = \"POST\"\n");
        lua.append("wrk.body = [==[").append(new String(body, StandardCharsets.UTF_8)).append("]==]\n");
        lua.append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        dest.headers().forEach((k, v) -> lua.append("wrk.headers[\"").append(k).append("\"] = [==[").append(v).append("]==]\n"));
        Path file = dir.resolve("wrk-" + dest.name() + "-" + dest.port() + ".lua");
        Files.writeString(file, lua.toString());
        return file;
    }

    /** Runs wrk for {@code seconds} with {@code connections} on one thread and parses its report. */
    static Result run(Path script, Dest dest, int connections, int seconds) throws Exception {
        Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--timeout", "10s",
                "--latency", "-s", script.toString(), dest.url()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("wrk did not finish");
        }
        return parse(out);
    }

    static Result parse(String out) {
        double rps = number(out, "Requests/sec:\\s+([0-9.]+)");
        long requests = (long) number(out, "([0-9]+) requests in");
        double non2xx = number(out, "Non-2xx or 3xx responses:\\s+([0-9]+)");
        Matcher socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(out);
        long socketErrors = 0;
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                socketErrors += Long.parseLong(socket.group(g));
            }
        }
        long failed = (Double.isNaN(non2xx) ? 0 : (long) non2xx) + socketErrors;
        String firstError = failed == 0 ? null
                : (Double.isNaN(non2xx) ? "" : (long) non2xx + " non-2xx answers ") + (socketErrors == 0 ? "" : socketErrors + " socket errors");
        if (Double.isNaN(rps)) {
            firstError = "wrk printed no result: " + out.replace('\n', ' ').substring(0, Math.min(200, out.length()));
            requests = 0;
        }
        // Successful requests per second: wrk's figure counts failed answers too.
        double okRps = Double.isNaN(rps) || requests == 0 ? rps : rps * (requests - failed) / requests;
        return new Result(okRps, percentile(out, "50%"), percentile(out, "99%"), Math.max(0, requests), failed,
                firstError == null ? null : firstError.trim());
    }

    private static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /** A latency-distribution line such as {@code 99%    1.30ms}, in microseconds. */
    static double percentile(String out, String label) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(label) + "\\s+([0-9.]+)(us|ms|s)\\b").matcher(out);
        if (!m.find()) {
            return Double.NaN;
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "us" -> v;
            case "ms" -> v * 1000;
            default -> v * 1_000_000;
        };
    }
}
