/**
 * Client-held keys for batches: {@link dev.veil.client.batch.ClientKey} makes and stores an X25519 key pair,
 * {@link dev.veil.client.batch.BatchResults} decrypts a batch's output and error files encrypted to it.
 */
package dev.veil.client.batch;
