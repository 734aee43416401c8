package dev.veil.app.demo;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The demo engine's deterministic text: the same prompt always yields the same words, drawn from a fixed passage
 * about Veil. It never repeats the prompt back, so nothing the caller sent appears in an answer.
 */
final class DemoText {

    private static final String[] WORDS = ("This answer comes from Veil's demo engine, which is not a language model. "
            + "It streams fixed text at a steady pace so you can watch a request travel through the gateway. "
            + "Veil forwards each request only to a route whose data policy satisfies the caller, strips the "
            + "caller's identity before anything leaves, and keeps metadata for billing but never the prompt or "
            + "the response. Point any OpenAI client at the gateway, change nothing else, and the same code works. "
            + "Swap the demo engine for a real OpenAI-compatible server in veil.yaml when you are ready.")
            .split(" ");

    private DemoText() {
    }

    /** {@code count} words starting at a position chosen by the prompt's hash; each word but the first has a leading space. */
    static List<String> tokens(String promptDigestSource, int count) {
        int start = Math.floorMod(fnv(promptDigestSource), WORDS.length);
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            String word = WORDS[(start + i) % WORDS.length];
            out[i] = i == 0 ? word : " " + word;
        }
        return List.of(out);
    }

    /** A rough token count: words plus a small per-message overhead, as tokenizers roughly give. */
    static int countTokens(String text) {
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
        }
        return words;
    }

    private static int fnv(String s) {
        int hash = 0x811c9dc5;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b;
            hash *= 0x01000193;
        }
        return hash;
    }
}
