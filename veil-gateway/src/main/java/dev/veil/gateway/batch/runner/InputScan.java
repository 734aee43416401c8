package dev.veil.gateway.batch.runner;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;

/**
 * The validating pass over an input file, streamed: counts the requests (non-blank lines), checks the file decrypts
 * intact to its end, and marks every line whose {@code custom_id} repeats an earlier one. Only 128-bit hashes of the
 * custom ids are held, in memory, never stored. Re-run on every (re)start of a batch, so resuming needs nothing stored.
 */
final class InputScan {

    /** What the pass found. */
    record Result(long requests, long lines, BitSet duplicates) {
    }

    /** The file has more requests than allowed. */
    static final class TooManyLines extends Exception {
        TooManyLines() {
            super("too many lines", null, false, false);
        }
    }

    private InputScan() {
    }

    static Result scan(InputStream in, JsonFactory json, int maxLineBytes, long maxRequests) throws IOException, TooManyLines {
        LineReader lines = new LineReader(in, maxLineBytes);
        Set<Id> seen = new HashSet<>();
        BitSet duplicates = new BitSet();
        long requests = 0;
        int index = 0;
        byte[] line;
        while ((line = lines.next()) != null) {
            if (line != LineReader.TOO_LONG && LineReader.blank(line)) {
                index++;
                continue;
            }
            if (++requests > maxRequests) {
                throw new TooManyLines();
            }
            String customId = line == LineReader.TOO_LONG ? null : customId(json, line);
            if (customId != null && !seen.add(Id.of(customId))) {
                duplicates.set(index);
            }
            index++;
        }
        return new Result(requests, index, duplicates);
    }

    /** The top-level {@code custom_id} string of a JSON line, or null. */
    static String customId(JsonFactory json, byte[] line) {
        try (JsonParser p = json.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("custom_id")) {
                    return v == JsonToken.VALUE_STRING ? p.getText() : null;
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private record Id(long high, long low) {
        static Id of(String customId) {
            try {
                byte[] h = MessageDigest.getInstance("SHA-256").digest(customId.getBytes(StandardCharsets.UTF_8));
                long hi = 0;
                long lo = 0;
                for (int i = 0; i < 8; i++) {
                    hi = (hi << 8) | (h[i] & 0xff);
                    lo = (lo << 8) | (h[8 + i] & 0xff);
                }
                return new Id(hi, lo);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
