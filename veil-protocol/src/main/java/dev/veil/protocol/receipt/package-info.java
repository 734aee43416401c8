/**
 * The gateway's signed privacy receipt (docs/privacy.md, "Signed receipts"): its header and SSE comment names, the
 * key id of a receipt key, and the checks a client makes (Ed25519 signature by the published receipt key, request
 * body hash, request id). Shared by the gateway that signs and the clients that verify; no I/O and no server code.
 */
package dev.veil.protocol.receipt;
