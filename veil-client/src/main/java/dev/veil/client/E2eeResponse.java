package dev.veil.client;

import dev.veil.protocol.e2ee.Receipt;
import java.nio.charset.StandardCharsets;

/**
 * A whole decrypted answer, released only after its final frame arrived and the node's receipt verified.
 *
 * @param status      the engine's HTTP status, from the encrypted head (a 4xx here is the engine's answer to the
 *                    request, e.g. an invalid parameter, not a transport error)
 * @param contentType the engine's content type, from the encrypted head (may be {@code null})
 * @param body        the decrypted body: the JSON answer, or every SSE event's bytes in order when the request asked
 *                    for a stream
 * @param receipt     the node's receipt, verified: signed by the attested key, naming this request's and response's
 *                    hashes; its token counts are what the gateway bills
 * @param node        the attested node that answered
 * @param gatewayReceipt the gateway's signed privacy receipt, verified; {@code null} when a node was reached directly
 */
public record E2eeResponse(int status, String contentType, byte[] body, Receipt receipt, VerifiedNode node,
                           VerifiedGatewayReceipt gatewayReceipt) {

    public E2eeResponse {
        body = body.clone();
    }

    /** The decrypted body (a copy). */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The decrypted body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof E2eeResponse other && status == other.status
                && java.util.Objects.equals(contentType, other.contentType)
                && java.util.Arrays.equals(body, other.body) && receipt.equals(other.receipt) && node.equals(other.node)
                && java.util.Objects.equals(gatewayReceipt, other.gatewayReceipt);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(status, contentType, java.util.Arrays.hashCode(body), receipt, node,
                gatewayReceipt);
    }

    /** Never shows the body. */
    @Override
    public String toString() {
        return "E2eeResponse[status=" + status + ", contentType=" + contentType + ", bodyBytes=" + body.length
                + ", node=" + node.nodeKeyId() + "]";
    }
}
