package dev.veil.store;

import java.time.Instant;
import java.util.List;

/**
 * A node that joined with a join token.
 *
 * @param state {@code active}, {@code left} (it deregistered), {@code lost} (it stopped answering), {@code banned}
 */
public record NodeRegistrationRecord(String id, String tokenId, String name, String baseUrl, List<String> models,
                                     String state, Instant joinedAt, Instant updatedAt) {

    public static final String ACTIVE = "active";
    public static final String LEFT = "left";
    public static final String LOST = "lost";
    public static final String BANNED = "banned";

    public NodeRegistrationRecord {
        models = List.copyOf(models);
    }
}
