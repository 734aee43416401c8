package dev.veil.node;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who may call this node: nobody checked (an open development node), or only callers that send one of its gateways'
 * credentials as {@code Authorization: Bearer} — the operator's fixed token ({@code --gateway-token-env}) and the
 * credential each gateway it joined handed it. Compared in constant time.
 */
final class GatewayCredentials {

    private final List<byte[]> accepted = new CopyOnWriteArrayList<>();
    private volatile boolean required;

    GatewayCredentials(String fixedToken) {
        if (fixedToken != null) {
            accept(fixedToken);
        }
    }

    /** Accepts a gateway's credential from now on (and, from the first one on, refuses callers without one). */
    void accept(String credential) {
        accepted.add(credential.getBytes(StandardCharsets.UTF_8));
        required = true;
    }

    /** Refuses every caller without a credential, even before the first is known (a node about to join). */
    void require() {
        required = true;
    }

    /** Stops accepting {@code credential} (the node left that gateway). */
    void forget(String credential) {
        byte[] bytes = credential.getBytes(StandardCharsets.UTF_8);
        accepted.removeIf(c -> MessageDigest.isEqual(c, bytes));
    }

    boolean required() {
        return required;
    }

    /** Whether an {@code Authorization} header carries an accepted credential. */
    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] credential : accepted) {
            match |= MessageDigest.isEqual(credential, presented);
        }
        return match;
    }
}
