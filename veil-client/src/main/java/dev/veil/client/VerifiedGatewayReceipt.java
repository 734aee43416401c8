package dev.veil.client;

import dev.veil.protocol.receipt.GatewayReceipt;

/**
 * The gateway's privacy receipt for one request, verified: signed by the gateway's published receipt key, naming the
 * exact request body the client sent (its SHA-256) and the request id the gateway answered with. It states what served
 * the request (route, mode, node) and what the gateway stored about it (docs/privacy.md, "Signed receipts").
 *
 * @param receipt the receipt's exact bytes and signature, as received (to keep, or to show a third party)
 * @param claims  what the receipt states
 */
public record VerifiedGatewayReceipt(GatewayReceipt receipt, GatewayReceipt.Claims claims) {
}
