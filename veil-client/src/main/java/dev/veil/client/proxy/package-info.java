/**
 * {@code veil proxy}: a local, plain OpenAI API that makes any OpenAI client end-to-end encrypted.
 *
 * <p>{@link dev.veil.client.proxy.E2eeProxy} listens on localhost, attests each model's node through the SDK, encrypts
 * each request to it, sends it to the gateway, and relays the decrypted, verified answer. Plaintext exists only on
 * this machine and inside the attested node.
 */
package dev.veil.client.proxy;
