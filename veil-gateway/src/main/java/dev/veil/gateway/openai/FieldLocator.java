package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * Finds the top-level field of a JSON object body that holds a given byte offset, to name it as an error's
 * {@code param}. Only used on the error path: it parses the body again up to the offset.
 */
final class FieldLocator {

    /** Field names Veil repeats back; anything else (a name made of content) is not named. */
    private static final Pattern NAMEABLE = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

    private FieldLocator() {
    }

    /**
     * The top-level field whose name or value holds the byte at {@code offset}, or null when there is none to name:
     * the offset lies in a top-level field name itself, outside the object, or the name is not a plain identifier.
     *
     * @param offset where the bytes stop being parseable (e.g. the first invalid UTF-8 byte); the bytes before it are
     *               parsed, nothing from it on
     */
    static String topLevelFieldAt(JsonFactory json, byte[] body, int offset) {
        JsonStreamContext at = null;
        try (JsonParser p = json.createParser(body, 0, offset)) {
            try {
                while (p.nextToken() != null) {
                    // The parser stops with an error where the prefix ends (usually inside a string).
                }
            } catch (IOException expected) {
                // The end of the prefix is where the offset is; the context says where that was.
            }
            at = p.getParsingContext();
        } catch (IOException e) {
            return null;
        }
        JsonStreamContext topLevel = at;
        while (topLevel != null && topLevel.getParent() != null && topLevel.getParent().getParent() != null) {
            topLevel = topLevel.getParent();
        }
        if (topLevel == null || !topLevel.inObject()) {
            return null;
        }
        if (at == topLevel && endsAsFieldName(body, offset)) {
            return null; // inside a top-level field name: its own name is the broken text
        }
        String name = topLevel.getCurrentName();
        return name != null && NAMEABLE.matcher(name).matches() ? name : null;
    }

    /** Whether the string running through {@code offset} is followed by a colon, i.e. is a field name. */
    private static boolean endsAsFieldName(byte[] body, int offset) {
        int i = offset;
        while (i < body.length && body[i] != '"') {
            i += body[i] == '\\' ? 2 : 1;
        }
        i++;
        while (i < body.length && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
            i++;
        }
        return i < body.length && body[i] == ':';
    }
}
