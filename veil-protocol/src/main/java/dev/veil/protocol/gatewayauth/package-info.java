/**
 * How a gateway proves to a node that a request comes from it (docs/network.md, "Gateway signatures"): each request
 * carries an HMAC-SHA256 signature made with the secret of the node's registration, over the method, the URI, a time,
 * a fresh nonce and the SHA-256 of the body. The secret itself never crosses the wire after the join, so an observer
 * of one request can neither replay it nor make another.
 */
package dev.veil.protocol.gatewayauth;
