/**
 * The transparency log's data structures, shared by the gateway that keeps the log and the clients that check it: the
 * RFC 9162 Merkle tree (leaf and node hashing, tree heads, inclusion and consistency proofs), their verification, and
 * the log's signed tree head. No I/O and no server code.
 */
package dev.veil.protocol.transparency;
