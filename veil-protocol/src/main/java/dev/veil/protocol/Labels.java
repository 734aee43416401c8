package dev.veil.protocol;

/**
 * Checks operator-given labels (key names, model ids, route names, jurisdictions in key policies): they are shown in
 * listings, terminals and logs, so they must be printable. Refused: control characters (C0, DEL, C1: NUL, line breaks,
 * escape sequences), the Unicode line and paragraph separators, bidirectional formatting characters (which can make a
 * label display as another) and unpaired surrogates (not encodable as UTF-8).
 */
public final class Labels {

    private Labels() {
    }

    /**
     * What is wrong with {@code value} as a label of at most {@code maxLength} UTF-16 characters, as a phrase to follow
     * the field's name ("must not be empty"); {@code null} when it is fine. Never quotes the value.
     */
    public static String problem(String value, int maxLength) {
        if (value.isBlank()) {
            return "must not be empty";
        }
        if (value.length() > maxLength) {
            return "must be at most " + maxLength + " characters";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
                continue;
            }
            if (Character.isSurrogate(c)) {
                return "must be valid Unicode (it holds an unpaired surrogate)";
            }
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return "must not contain control characters or line breaks";
            }
            if (bidiControl(c)) {
                return "must not contain bidirectional formatting characters";
            }
        }
        return null;
    }

    private static boolean bidiControl(char c) {
        return c == '\u061c' || c == '\u200e' || c == '\u200f' || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }
}
