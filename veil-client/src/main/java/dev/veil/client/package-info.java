/**
 * The Veil Java SDK for end-to-end encrypted (e2ee) inference (docs/e2ee.md).
 *
 * <p>{@link dev.veil.client.VeilClient} verifies a node's attestation evidence against an
 * {@link dev.veil.protocol.attestation.AttestationPolicy} with its own fresh nonce, encrypts each OpenAI JSON request
 * to the attested node's HPKE key, decrypts the answer frame by frame, and checks the node's signed receipt. The
 * gateway in between only relays bytes it cannot read.
 *
 * <p>Failures are distinct exceptions, each a hard error after which no (more) plaintext is released:
 * <ul>
 *   <li>{@link dev.veil.protocol.attestation.AttestationException} and its subclasses: the node's evidence did not
 *       verify (simulated evidence not allowed, stale nonce, keys not bound, unknown measurement, ...), plus
 *       {@link dev.veil.client.NoEvidenceException} when no node evidence was offered at all, and
 *       {@link dev.veil.client.TransparencyException}'s three cases when the gateway's transparency log does not vouch
 *       for the node (not in the log, a tree head that does not verify, a split view);</li>
 *   <li>{@link dev.veil.protocol.e2ee.E2eeException} and its subclasses: the encrypted exchange failed (a frame
 *       rejected, a truncated body, trailing data, a bad receipt) or the node refused the encrypted request with one of
 *       the e2ee error codes of docs/e2ee.md §6 (then the cause is the {@link dev.veil.client.GatewayException});</li>
 *   <li>{@link dev.veil.client.GatewayException}: any other clear, OpenAI-shaped error from the gateway or the node
 *       (401, 403 {@code privacy_policy_violation}, 429, {@code e2ee_engine_unavailable}, ...);</li>
 *   <li>{@link java.io.IOException}: the transport failed before the encrypted answer began.</li>
 * </ul>
 *
 * <p>The SDK never logs request or response content, nor exception messages.
 */
package dev.veil.client;
