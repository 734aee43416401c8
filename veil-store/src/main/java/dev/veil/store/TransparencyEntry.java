package dev.veil.store;

/**
 * One leaf of the transparency log ({@code transparency_log}).
 *
 * @param index     the leaf's position, from 0, in the order appended
 * @param leafHash  the RFC 9162 leaf hash of {@code entry}, lower-case hex
 * @param entry     the logged statement (canonical JSON, no user data)
 * @param createdAt when it was appended, epoch milliseconds
 */
public record TransparencyEntry(long index, String leafHash, String entry, long createdAt) {
}
