package dev.veil.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;

/**
 * OpenAI's expiration policy for files ({@code expires_after[anchor]}, {@code expires_after[seconds]} form fields) and
 * batch outputs ({@code output_expires_after: {"anchor", "seconds"}}): the anchor is {@code created_at} and the seconds
 * a whole number from {@value #MIN_SECONDS} (1 hour) to {@value #MAX_SECONDS} (30 days). Anything else is a 400 naming
 * the parameter; nothing is clamped silently, so a huge value can never wrap around.
 */
final class ExpiresAfter {

    static final long MIN_SECONDS = 3_600;
    static final long MAX_SECONDS = 2_592_000;
    private static final String RANGE = "a whole number of seconds from " + MIN_SECONDS + " (1 hour) to " + MAX_SECONDS
            + " (30 days)";

    private ExpiresAfter() {
    }

    /** The form fields of an upload: null when {@code seconds} is absent, else the time to live in milliseconds. */
    static Long fromForm(String anchor, String seconds) throws InvalidRequestException {
        anchor(anchor, "expires_after[anchor]");
        if (seconds == null) {
            if (anchor != null) {
                throw invalid("\"expires_after[seconds]\" is required with \"expires_after[anchor]\": " + RANGE + ".",
                        "expires_after[seconds]");
            }
            return null;
        }
        String text = seconds.trim();
        // Digits only, at most 7 of them: parsing can neither fail nor overflow.
        if (text.isEmpty() || text.length() > 7 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid("\"expires_after[seconds]\" must be " + RANGE + ".", "expires_after[seconds]");
        }
        return inRange(Long.parseLong(text), "expires_after[seconds]") * 1000;
    }

    /** The {@code output_expires_after} object of a batch: null when absent, else the time to live in milliseconds. */
    static Long fromJson(JsonNode node, String param) throws InvalidRequestException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw invalid("\"" + param + "\" must be an object {\"anchor\": \"created_at\", \"seconds\": n}, n " + RANGE
                    + ".", param);
        }
        JsonNode anchor = node.get("anchor");
        if (anchor != null && !anchor.isNull() && !anchor.isTextual()) {
            throw invalid("\"" + param + ".anchor\" must be \"created_at\".", param + ".anchor");
        }
        anchor(anchor == null || anchor.isNull() ? null : anchor.textValue(), param + ".anchor");
        JsonNode seconds = node.get("seconds");
        if (seconds == null || seconds.isNull()) {
            throw new InvalidRequestException(OpenAiError.invalidRequest("Missing required parameter: \"" + param
                    + ".seconds\" (" + RANGE + ").", param + ".seconds", "missing_required_parameter"));
        }
        if (!seconds.isIntegralNumber() || !seconds.canConvertToLong()) {
            throw invalid("\"" + param + ".seconds\" must be " + RANGE + ".", param + ".seconds");
        }
        return inRange(seconds.longValue(), param + ".seconds") * 1000;
    }

    private static void anchor(String anchor, String param) throws InvalidRequestException {
        if (anchor != null && !anchor.equals("created_at")) {
            throw invalid("\"" + param + "\" must be \"created_at\".", param);
        }
    }

    private static long inRange(long seconds, String param) throws InvalidRequestException {
        if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
            throw invalid("\"" + param + "\" must be " + RANGE + ".", param);
        }
        return seconds;
    }

    private static InvalidRequestException invalid(String message, String param) {
        return new InvalidRequestException(OpenAiError.invalidRequest(message, param, "invalid_value"));
    }
}
