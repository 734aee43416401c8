package dev.veil.protocol.attestation.tdx;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON for Intel PCS collateral: a tree of maps, lists, strings and integers, and the exact bytes of the
 * signed member (Intel signs the bytes of {@code tcbInfo} / {@code enclaveIdentity} exactly as served). Duplicate keys
 * are refused, so the parsed values are the ones the signature covers.
 */
final class Json {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** A PCS response body {@code {"<member>": {...}, "signature": "<hex r||s>"}}. */
    record Signed(byte[] body, Map<String, Object> value, byte[] signature) {
        @Override
        public byte[] body() {
            return body.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }
    }

    private Json() {
    }

    static Signed signed(byte[] response, String member, String file) throws TdxFormatException {
        byte[] body = null;
        Map<String, Object> value = null;
        String signature = null;
        try (JsonParser p = FACTORY.createParser(response)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new TdxFormatException(file, "not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals(member) && t == JsonToken.START_OBJECT) {
                    int start = (int) p.currentTokenLocation().getByteOffset();
                    value = object(p);
                    int end = (int) p.currentTokenLocation().getByteOffset() + 1;
                    body = Arrays.copyOfRange(response, start, end);
                } else if (name.equals("signature") && t == JsonToken.VALUE_STRING) {
                    signature = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new TdxFormatException(file, "trailing content after the JSON object");
            }
        } catch (IOException e) {
            throw new TdxFormatException(file, "not valid JSON: " + e.getMessage());
        }
        if (body == null) {
            throw new TdxFormatException(file + " " + member, "missing");
        }
        if (signature == null) {
            throw new TdxFormatException(file + " signature", "missing");
        }
        byte[] sig;
        try {
            sig = HexFormat.of().parseHex(signature);
        } catch (IllegalArgumentException e) {
            throw new TdxFormatException(file + " signature", "not hex");
        }
        if (sig.length != 64) {
            throw new TdxFormatException(file + " signature", "expected 64 bytes (r||s), got " + sig.length);
        }
        return new Signed(body, value, sig);
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            out.put(name, value(p));
        }
        return out;
    }

    private static Object value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(value(p));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getBigIntegerValue();
            case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            default -> null;
        };
    }

    // ---- typed access naming the field on error

    static String string(Map<String, Object> m, String key, String ctx) throws TdxFormatException {
        if (m.get(key) instanceof String s) {
            return s;
        }
        throw new TdxFormatException(ctx + "." + key, "missing or not a string");
    }

    static String optionalString(Map<String, Object> m, String key, String ctx) throws TdxFormatException {
        return m.containsKey(key) ? string(m, key, ctx) : null;
    }

    static int integer(Map<String, Object> m, String key, String ctx) throws TdxFormatException {
        if (m.get(key) instanceof BigInteger n && n.signum() >= 0 && n.bitLength() < 31) {
            return n.intValue();
        }
        if (m.get(key) instanceof java.math.BigDecimal d) {
            try {
                return d.intValueExact();
            } catch (ArithmeticException e) {
                // fall through
            }
        }
        throw new TdxFormatException(ctx + "." + key, "missing or not a non-negative integer");
    }

    static Instant instant(Map<String, Object> m, String key, String ctx) throws TdxFormatException {
        try {
            return Instant.parse(string(m, key, ctx));
        } catch (DateTimeParseException e) {
            throw new TdxFormatException(ctx + "." + key, "not an ISO-8601 instant");
        }
    }

    /** A hex string of exactly {@code bytes} bytes, returned lower-case. */
    static String hex(Map<String, Object> m, String key, int bytes, String ctx) throws TdxFormatException {
        String s = string(m, key, ctx);
        try {
            byte[] b = HexFormat.of().parseHex(s);
            if (b.length != bytes) {
                throw new TdxFormatException(ctx + "." + key, "expected " + bytes + " bytes, got " + b.length);
            }
            return HexFormat.of().formatHex(b);
        } catch (IllegalArgumentException e) {
            throw new TdxFormatException(ctx + "." + key, "not hex");
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> m, String key, String ctx) throws TdxFormatException {
        if (m.get(key) instanceof Map<?, ?> o) {
            return (Map<String, Object>) o;
        }
        throw new TdxFormatException(ctx + "." + key, "missing or not an object");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> objects(Map<String, Object> m, String key, String ctx)
            throws TdxFormatException {
        if (!(m.get(key) instanceof List<?> list)) {
            throw new TdxFormatException(ctx + "." + key, "missing or not an array");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> map)) {
                throw new TdxFormatException(ctx + "." + key, "holds a non-object");
            }
            out.add((Map<String, Object>) map);
        }
        return out;
    }

    static List<String> strings(Map<String, Object> m, String key, String ctx) throws TdxFormatException {
        if (!m.containsKey(key)) {
            return List.of();
        }
        if (!(m.get(key) instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
            throw new TdxFormatException(ctx + "." + key, "not an array of strings");
        }
        return list.stream().map(String.class::cast).toList();
    }
}
