package dev.veil.gateway.nodes;

import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.JoinTokenRecord;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Join tokens: what the operator hands a node's operator so that the node may register with this gateway, scoped to
 * the models it may serve. The token is shown once; the store keeps its SHA-256 (as for API keys).
 */
public final class JoinTokens {

    /** Every join token starts with this, so a leaked one is recognisable (and scannable) as such. */
    public static final String PREFIX = "veil_jt_";
    /** The longest a join token may live; a node joins once, so tokens are short-lived by default. */
    public static final Duration MAX_TTL = Duration.ofDays(365);
    public static final Duration DEFAULT_TTL = Duration.ofDays(7);
    private static final SecureRandom RANDOM = new SecureRandom();

    private JoinTokens() {
    }

    /** A new token (the secret, shown once) and its record. */
    public record Issued(JoinTokenRecord record, String token) {
    }

    public static Issued issue(String label, List<String> models, Duration ttl, Instant now) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        JoinTokenRecord record = new JoinTokenRecord("jt_" + HexFormat.of().formatHex(id), hash(token), label, models,
                now, ttl == null ? null : now.plus(ttl), null);
        return new Issued(record, token);
    }

    /** The stored form of a presented token. */
    public static String hash(String token) {
        return ApiKeyIssuer.hashSecret(token);
    }
}
