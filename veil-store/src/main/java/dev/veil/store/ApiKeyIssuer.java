package dev.veil.store;

import dev.veil.protocol.KeyPolicy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/** Issues API keys and hashes their secrets. */
public final class ApiKeyIssuer {

    /** Every secret starts with this, so leaked keys are easy to recognise by secret scanners. */
    public static final String SECRET_PREFIX = "veil_sk_";

    /** Longest key name, in UTF-16 characters. */
    public static final int MAX_NAME_LENGTH = 100;
    /** Longest id a key can have ({@code key_} and 16 hex characters; older ids are no longer). */
    private static final int MAX_ID_LENGTH = 64;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private ApiKeyIssuer() {
    }

    /**
     * Issues a new key with {@link KeyPolicy#UNRESTRICTED} as its policy.
     *
     * @see #issue(String, KeyPolicy, Instant)
     */
    public static IssuedKey issue(String name, Instant now) {
        return issue(name, KeyPolicy.UNRESTRICTED, now);
    }

    /**
     * What is wrong with {@code name} as a key name (1 to {@value #MAX_NAME_LENGTH} printable characters, see
     * {@link dev.veil.protocol.Labels}), as a phrase to follow the field's name; {@code null} when it is fine.
     */
    public static String nameProblem(String name) {
        return dev.veil.protocol.Labels.problem(name, MAX_NAME_LENGTH);
    }

    /** Whether {@code id} could be a key id (letters, digits, {@code _} and {@code -}, at most 64): checked before a lookup. */
    public static boolean plausibleId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Issues a new key: a secret of {@value #SECRET_PREFIX} plus 32 random bytes in unpadded base64url, an id of
     * {@code key_} plus 16 random lowercase hex characters, the secret's last four characters as hint and its hash.
     *
     * @param name   the operator's label for the key; see {@link #nameProblem}
     * @param policy what the key may do
     * @param now    the issue time
     * @throws IllegalArgumentException when the name is not acceptable (callers check {@link #nameProblem} first)
     */
    public static IssuedKey issue(String name, KeyPolicy policy, Instant now) {
        Objects.requireNonNull(name, "name");
        if (nameProblem(name) != null) {
            throw new IllegalArgumentException("name " + nameProblem(name));
        }
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(now, "now");
        String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        String id = "key_" + HEX.formatHex(randomBytes(8));
        String hint = secret.substring(secret.length() - 4);
        return new IssuedKey(new ApiKeyRecord(id, name, hashSecret(secret), hint, now, null, policy), secret);
    }

    /**
     * The lowercase hex SHA-256 of the UTF-8 bytes of {@code secret}. A plain fast hash suffices because secrets carry
     * 256 bits of entropy; a slow password hash would only add latency to every request.
     */
    public static String hashSecret(String secret) {
        Objects.requireNonNull(secret, "secret");
        // One digest per thread: looking the algorithm up per call showed on the request path.
        return HEX.formatHex(SHA256.get().digest(secret.getBytes(StandardCharsets.UTF_8)));
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    });

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
