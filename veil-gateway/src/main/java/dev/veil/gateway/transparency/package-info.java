/**
 * The gateway's transparency log: an append-only RFC 9162 Merkle tree of the node identities it admitted, stored in the
 * store, with signed tree heads and proofs served to clients (docs/transparency.md).
 */
package dev.veil.gateway.transparency;
