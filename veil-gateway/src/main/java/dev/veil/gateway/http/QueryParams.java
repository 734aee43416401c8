package dev.veil.gateway.http;

import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.http.HttpServerRequest;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A request's query parameters and path segments, decoded strictly: malformed percent-encoding ({@code %G1},
 * {@code %4}) and bytes that are not UTF-8 are a 400 naming the parameter, never a 500. Vert.x's own
 * {@code getParam} throws an unchecked exception on such input; use {@link #of(HttpServerRequest)} instead.
 */
public final class QueryParams {

    private final Map<String, String> values;

    private QueryParams(Map<String, String> values) {
        this.values = values;
    }

    /** The query parameters of {@code request}; the first value of a repeated name wins. */
    public static QueryParams of(HttpServerRequest request) throws InvalidRequestException {
        return parse(request.query());
    }

    /** Parses a raw query string ({@code a=1&b=%20}); {@code null} or empty gives no parameters. */
    public static QueryParams parse(String query) throws InvalidRequestException {
        if (query == null || query.isEmpty()) {
            return new QueryParams(Map.of());
        }
        Map<String, String> values = new HashMap<>();
        int start = 0;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = query.length();
            }
            if (end > start) {
                int eq = query.indexOf('=', start);
                String rawName = eq < 0 || eq > end ? query.substring(start, end) : query.substring(start, eq);
                String rawValue = eq < 0 || eq > end ? "" : query.substring(eq + 1, end);
                String name = decode(rawName, true, null);
                values.putIfAbsent(name, decode(rawValue, true, name));
            }
            start = end + 1;
        }
        return new QueryParams(values);
    }

    /** The decoded value of {@code name}, or {@code null} when absent. */
    public String get(String name) {
        return values.get(name);
    }

    /**
     * Decodes one percent-encoded path segment (no {@code +} to space), naming {@code param} when it is malformed.
     */
    public static String pathSegment(String raw, String param) throws InvalidRequestException {
        return decode(raw, false, param);
    }

    /** A whole number within {@code [min, max]}, {@code byDefault} when absent; otherwise a 400 naming it. */
    public int intValue(String name, int byDefault, int min, int max) throws InvalidRequestException {
        String text = get(name);
        if (text == null) {
            return byDefault;
        }
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through to the refusal below
        }
        throw new InvalidRequestException(OpenAiError.invalidRequest(
                "\"" + name + "\" must be a whole number between " + min + " and " + max + ".", name, "invalid_value"));
    }

    private static String decode(String raw, boolean plusIsSpace, String param) throws InvalidRequestException {
        if (raw.indexOf('%') < 0 && (!plusIsSpace || raw.indexOf('+') < 0)) {
            return raw;
        }
        byte[] bytes = new byte[raw.length()];
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
                if (lo < 0) {
                    throw malformed(param);
                }
                bytes[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                bytes[n++] = ' ';
            } else if (c < 0x80) {
                bytes[n++] = (byte) c;
            } else {
                // Vert.x hands the target over as ISO-8859-1; a raw non-ASCII byte is not valid in a URI.
                throw malformed(param);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
        } catch (CharacterCodingException e) {
            throw malformed(param);
        }
    }

    private static InvalidRequestException malformed(String param) {
        String what = param == null ? "A query parameter name" : "\"" + param + "\"";
        return new InvalidRequestException(OpenAiError.invalidRequest(what + " is not valid percent-encoded UTF-8 "
                + "(each % must be followed by two hex digits); encode it and retry.", param, "invalid_encoding"));
    }
}
