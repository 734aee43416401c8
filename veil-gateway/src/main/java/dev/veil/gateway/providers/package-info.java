/** Hosted TEE providers whose TEE claim Veil verifies from their published attestation reports. */
package dev.veil.gateway.providers;
