package dev.veil.bench;

/**
 * How the fake upstream answers one request, read from the request's {@code model} so that the choice survives every
 * proxy unchanged. Grammar: {@code fake} followed by any of
 * <ul>
 *   <li>{@code -l<ms>}: a whole (non-stream) answer after this latency (default 0);</li>
 *   <li>{@code -s<ttft>x<n>x<gap>}: a stream (when the request asks for one) whose first event comes after
 *       {@code ttft} ms, then {@code n} {@code chat.completion.chunk} events in all, {@code gap} ms apart, then
 *       {@code data: [DONE]} (default 20, 20, 2);</li>
 *   <li>{@code -e<status>p<percent>}: answer that error status to this share of requests (default none).</li>
 * </ul>
 * Example: {@code fake-l20}, {@code fake-s20x20x2}, {@code fake-l0-e500p10}. Unknown parts are ignored.
 */
public record FakeMode(int latencyMs, int ttftMs, int chunks, int gapMs, int errorStatus, int errorPercent) {

    public static final FakeMode DEFAULT = new FakeMode(0, 20, 20, 2, 0, 0);

    public FakeMode {
        if (latencyMs < 0 || ttftMs < 0 || gapMs < 0) {
            throw new IllegalArgumentException("times must not be negative");
        }
        if (chunks < 1) {
            throw new IllegalArgumentException("a stream has at least one chunk");
        }
        if (errorPercent < 0 || errorPercent > 100) {
            throw new IllegalArgumentException("errorPercent is 0..100");
        }
    }

    /** The mode a model name asks for; {@link #DEFAULT} for anything unparsable. */
    public static FakeMode parse(String model) {
        if (model == null) {
            return DEFAULT;
        }
        int latency = DEFAULT.latencyMs;
        int ttft = DEFAULT.ttftMs;
        int chunks = DEFAULT.chunks;
        int gap = DEFAULT.gapMs;
        int status = 0;
        int percent = 0;
        for (String part : model.split("-")) {
            if (part.length() < 2) {
                continue;
            }
            try {
                switch (part.charAt(0)) {
                    case 'l' -> latency = Integer.parseInt(part.substring(1));
                    case 's' -> {
                        String[] p = part.substring(1).split("x");
                        if (p.length == 3) {
                            ttft = Integer.parseInt(p[0]);
                            chunks = Integer.parseInt(p[1]);
                            gap = Integer.parseInt(p[2]);
                        }
                    }
                    case 'e' -> {
                        String[] p = part.substring(1).split("p");
                        if (p.length == 2) {
                            status = Integer.parseInt(p[0]);
                            percent = Integer.parseInt(p[1]);
                        }
                    }
                    default -> {
                        // not an option
                    }
                }
            } catch (NumberFormatException e) {
                // ignore this part
            }
        }
        try {
            return new FakeMode(latency, ttft, chunks, gap, status, percent);
        } catch (IllegalArgumentException e) {
            return DEFAULT;
        }
    }

    /** The model name that asks for this mode (the inverse of {@link #parse}). */
    public String modelName() {
        return modelName("fake");
    }

    /** As {@link #modelName()} with another first part, which {@link #parse} ignores (used to pick an upstream). */
    public String modelName(String prefix) {
        StringBuilder b = new StringBuilder(prefix).append("-l").append(latencyMs)
                .append("-s").append(ttftMs).append('x').append(chunks).append('x').append(gapMs);
        if (errorPercent > 0) {
            b.append("-e").append(errorStatus).append('p').append(errorPercent);
        }
        return b.toString();
    }

    /** The whole stream's nominal duration: first event plus the gaps between the others. */
    public long streamMillis() {
        return ttftMs + (long) gapMs * (chunks - 1);
    }
}
