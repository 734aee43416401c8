package dev.veil.node;

import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import dev.veil.protocol.gatewayauth.NonceWindow;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may call this node: nobody checked (an open development node), or only callers that sign each request with one
 * of its gateways' secrets ({@link GatewaySignature}): the operator's fixed token ({@code --gateway-token-env}) and the
 * credential each gateway it joined handed it. A request is checked in two steps: its head before anything is read
 * ({@link #check}), and its body's digest once the body is in ({@link Signed#verify}); the nonce is spent only by a
 * signature that holds.
 */
final class GatewayCredentials {

    /**
     * How many signed requests the node remembers: the requests of the last two minutes (twice the allowed clock
     * skew). 100,000 is over 800 a second sustained, far beyond what one inference node serves; past it the node
     * answers 503 until old nonces expire, rather than forget one that could still be replayed.
     */
    static final int NONCE_CAPACITY = 100_000;

    private final Map<String, byte[]> secrets = new ConcurrentHashMap<>();
    private final NonceWindow nonces = new NonceWindow(NONCE_CAPACITY, 2 * GatewaySignature.MAX_SKEW_MS);
    private volatile boolean required;

    GatewayCredentials(String fixedToken) {
        if (fixedToken != null) {
            accept(fixedToken);
        }
    }

    /** Accepts a gateway's credential from now on (and, from the first one on, refuses callers without one). */
    void accept(String credential) {
        byte[] secret = credential.getBytes(StandardCharsets.UTF_8);
        secrets.put(GatewaySignature.keyId(secret), secret);
        required = true;
    }

    /** Refuses every caller without a credential, even before the first is known (a node about to join). */
    void require() {
        required = true;
    }

    /** Stops accepting {@code credential} (the node left that gateway). */
    void forget(String credential) {
        secrets.remove(GatewaySignature.keyId(credential.getBytes(StandardCharsets.UTF_8)));
    }

    boolean required() {
        return required;
    }

    /** A request whose signature head passed; {@link #verify} decides once the body is known. */
    final class Signed {
        private final GatewaySignature.Presented presented;
        private final byte[] secret;
        private final String method;
        private final String uri;

        private Signed(GatewaySignature.Presented presented, byte[] secret, String method, String uri) {
            this.presented = presented;
            this.secret = secret;
            this.method = method;
            this.uri = uri;
        }

        /**
         * Null when the signature holds over {@code body} and its nonce is fresh (the nonce is then spent), else the
         * error to answer.
         */
        OpenAiError verify(byte[] body) {
            if (!presented.verifies(secret, method, uri, GatewaySignature.bodyDigest(body))) {
                return refused("its signature does not match the request");
            }
            // Fresh again now, not only when the head came: a body held back until the nonce was forgotten would
            // otherwise replay. A nonce is kept for twice the skew, the longest a signature stays fresh after it.
            long now = System.currentTimeMillis();
            if (!presented.fresh(now)) {
                return refused("its time is more than " + GatewaySignature.MAX_SKEW_MS / 1000 + " s from the node's "
                        + "clock by the time its body arrived");
            }
            return switch (nonces.firstUse(presented.keyId() + ":" + presented.nonce(), now)) {
                case FRESH -> null;
                case REPLAYED -> refused("it is a replay of a request already served");
                case FULL -> new OpenAiError(503, "The node is remembering " + NONCE_CAPACITY + " recent gateway "
                        + "requests, its limit; retry shortly.", OpenAiError.SERVER, null, "node_busy");
            };
        }
    }

    /**
     * The head check: the signature header is well formed, names a secret this node accepts, and its time is within
     * the allowed skew.
     *
     * @param refusal receives the error when the head fails
     * @return the request to verify against its body, or null when refused
     */
    Signed check(String header, String method, String uri, java.util.function.Consumer<OpenAiError> refusal) {
        GatewaySignature.Presented presented = GatewaySignature.parse(header);
        if (presented == null) {
            refusal.accept(refused(header == null ? "it carries no " + GatewaySignature.HEADER + " header"
                    : "its " + GatewaySignature.HEADER + " header is malformed"));
            return null;
        }
        byte[] secret = secrets.get(presented.keyId());
        if (secret == null) {
            refusal.accept(refused("its signing key is not one of this node's gateways"));
            return null;
        }
        if (!presented.fresh(System.currentTimeMillis())) {
            refusal.accept(refused("its time is more than " + GatewaySignature.MAX_SKEW_MS / 1000 + " s from the "
                    + "node's clock (check both clocks)"));
            return null;
        }
        return new Signed(presented, secret, method, uri);
    }

    private static OpenAiError refused(String why) {
        return new OpenAiError(401, "This node serves only its gateways, which sign every request (docs/network.md); "
                + "this request was refused because " + why + ".", OpenAiError.AUTHENTICATION, null,
                "invalid_gateway_signature");
    }
}
