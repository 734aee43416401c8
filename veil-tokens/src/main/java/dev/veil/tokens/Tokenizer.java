package dev.veil.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.ModelType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * How Veil counts tokens for a route when its upstream reports none: one of OpenAI's BPE encodings (counted with
 * JTokkit, exactly as OpenAI's tokenizer splits text), or {@link #ESTIMATE}, one token per four UTF-8 bytes, rounded
 * up. Either way the count is Veil's, not the upstream's, and is reported as estimated.
 *
 * <p>An encoding's vocabulary is loaded once per process, on first use: about 15 MB of heap and up to a second or two
 * of CPU for {@code cl100k_base}, twice that for {@code o200k_base}. That is too long for an event loop, so servers call
 * {@link #preload()} at start-up for the encodings their routes use. Counting runs at a few megabytes of text a
 * second. Instances are immutable and thread-safe.
 */
public final class Tokenizer {

    /** The configuration name of the byte estimate. */
    public static final String NONE = "none";

    /** One token per four UTF-8 bytes, rounded up: the explicit estimate when no encoding is declared or known. */
    public static final Tokenizer ESTIMATE = new Tokenizer(NONE, null);

    private static final int BYTES_PER_TOKEN = 4;

    /** Loads each encoding when first asked for, not all at start-up: most deployments use one or none. */
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    /** One instance per encoding, so that a preloaded vocabulary is at hand wherever the encoding is named. */
    private static final Map<EncodingType, Tokenizer> BY_TYPE = new EnumMap<>(EncodingType.class);

    static {
        for (EncodingType t : EncodingType.values()) {
            BY_TYPE.put(t, new Tokenizer(t.getName(), t));
        }
    }

    private final String name;
    private final EncodingType type;
    private volatile Encoding encoding;

    private Tokenizer(String name, EncodingType type) {
        this.name = name;
        this.type = type;
    }

    /**
     * The tokenizer a route declares: an encoding name ({@code o200k_base}, {@code cl100k_base}, {@code p50k_base},
     * {@code p50k_edit}, {@code r50k_base}) or {@code none} for the byte estimate.
     *
     * @return empty when the name is neither
     */
    public static Optional<Tokenizer> named(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String lower = name.trim().toLowerCase(Locale.ROOT);
        if (lower.equals(NONE)) {
            return Optional.of(ESTIMATE);
        }
        return EncodingType.fromName(lower).map(BY_TYPE::get);
    }

    /**
     * OpenAI model families newer than JTokkit's own model list, all on {@code o200k_base} (as OpenAI's tiktoken maps
     * them): a model name that is one of these or starts with one and a dash.
     */
    private static final List<String> O200K_FAMILIES = List.of("gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o", "o1", "o3",
            "o4", "gpt-oss");

    /**
     * The encoding OpenAI uses for {@code model} (an upstream model name such as {@code gpt-4o-mini},
     * {@code gpt-4o-2024-08-06}, {@code gpt-3.5-turbo} or {@code openai/gpt-4.1}) when it is an OpenAI model name Veil
     * knows, else {@link #ESTIMATE}. Loads no vocabulary.
     */
    public static Tokenizer forModel(String model) {
        if (model == null || model.isBlank()) {
            return ESTIMATE;
        }
        // A router's "vendor/model" form names the model last.
        String name = model.trim().toLowerCase(Locale.ROOT);
        name = name.substring(name.lastIndexOf('/') + 1);
        for (String family : O200K_FAMILIES) {
            if (isOrExtends(name, family)) {
                return named(EncodingType.O200K_BASE.getName()).orElseThrow();
            }
        }
        Optional<ModelType> exact = ModelType.fromName(name);
        if (exact.isPresent()) {
            return named(exact.get().getEncodingType().getName()).orElse(ESTIMATE);
        }
        // A dated or suffixed name (gpt-4o-2024-08-06, gpt-4-0613): the longest known model it extends.
        ModelType best = null;
        for (ModelType type : ModelType.values()) {
            if (isOrExtends(name, type.getName()) && (best == null || type.getName().length() > best.getName().length())) {
                best = type;
            }
        }
        return best == null ? ESTIMATE : named(best.getEncodingType().getName()).orElse(ESTIMATE);
    }

    private static boolean isOrExtends(String name, String family) {
        return name.equals(family) || name.startsWith(family + "-");
    }

    /** The names {@link #named(String)} accepts, for error messages and documentation. */
    public static String acceptedNames() {
        StringBuilder names = new StringBuilder();
        for (EncodingType t : EncodingType.values()) {
            names.append(t.getName()).append(", ");
        }
        return names.append(NONE).toString();
    }

    /** The configuration name: an encoding's name, or {@code none}. */
    public String name() {
        return name;
    }

    /** Whether this is a BPE encoding rather than the byte estimate. */
    public boolean encodes() {
        return type != null;
    }

    /**
     * Loads the encoding's vocabulary now (blocking; see the class comment), so that no count on an event loop pays
     * for it. Nothing to do for the estimate.
     */
    public Tokenizer preload() {
        if (type != null) {
            encoding();
        }
        return this;
    }

    /**
     * The number of tokens in {@code text}. Special-token markers such as {@code <|endoftext|>} count as the ordinary
     * text they are, as OpenAI counts them in user content.
     */
    public long count(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        if (type == null) {
            return estimate(utf8Length(text));
        }
        return encoding().countTokensOrdinary(text);
    }

    /** The byte estimate for {@code bytes} UTF-8 bytes of text. */
    public static long estimate(long bytes) {
        return (bytes + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
    }

    /** The UTF-8 length of {@code text} without encoding it. */
    static long utf8Length(CharSequence text) {
        long bytes = 0;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private Encoding encoding() {
        Encoding e = encoding;
        if (e == null) {
            e = REGISTRY.getEncoding(type);
            encoding = e;
        }
        return e;
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Tokenizer t && t.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
