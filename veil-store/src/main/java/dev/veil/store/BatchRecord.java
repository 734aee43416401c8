package dev.veil.store;

import java.util.Set;

/**
 * A batch ({@code batches}): its state and counters. The client's metadata is stored only encrypted
 * ({@code metadataSealed}); the input file's lines are never stored.
 *
 * @param nextLine how many input lines are done and their results committed (the resume point)
 * @param errorCode a fixed Veil code when the batch failed as a whole, else null
 */
public record BatchRecord(String id, String keyId, String endpoint, String completionWindow, String inputFileId,
                          String outputFileId, String errorFileId, String status, String metadataSealed,
                          String clientPublicKey, long outputTtlMs, long total, long completed, long failed,
                          long nextLine, String errorCode, long createdAt, Long inProgressAt, Long finalizingAt,
                          Long completedAt, Long failedAt, Long expiredAt, Long cancellingAt, Long cancelledAt,
                          long expiresAt) {

    public static final String VALIDATING = "validating";
    public static final String IN_PROGRESS = "in_progress";
    public static final String FINALIZING = "finalizing";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String EXPIRED = "expired";
    public static final String CANCELLING = "cancelling";
    public static final String CANCELLED = "cancelled";

    /** The states a batch ends in. */
    public static final Set<String> TERMINAL = Set.of(COMPLETED, FAILED, EXPIRED, CANCELLED);

    public boolean terminal() {
        return TERMINAL.contains(status);
    }

    /** When it reached its terminal state, or null. */
    public Long endedAt() {
        return switch (status) {
            case COMPLETED -> completedAt;
            case FAILED -> failedAt;
            case EXPIRED -> expiredAt;
            case CANCELLED -> cancelledAt;
            default -> null;
        };
    }
}
