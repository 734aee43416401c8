/**
 * Intel TDX quote verification: {@link dev.veil.protocol.attestation.tdx.TdxQuote} parses quote v4/v5,
 * {@link dev.veil.protocol.attestation.tdx.TdxVerifier} checks the signatures up to the pinned
 * {@link dev.veil.protocol.attestation.tdx.IntelSgxRootCa}, the operator's Intel PCS
 * {@link dev.veil.protocol.attestation.tdx.TdxCollateral} (TCB info, QE identity, CRLs) and a
 * {@link dev.veil.protocol.attestation.tdx.TdxPolicy}, and {@link dev.veil.protocol.attestation.tdx.TdxFormatVerifier}
 * plugs it into {@link dev.veil.protocol.attestation.AttestationVerifier} as the {@code tdx} format. Layouts and the
 * TCB matching algorithm follow Intel's DCAP documentation, cross-checked with {@code google/go-tdx-guest} and Intel's
 * Quote Verification Library.
 */
package dev.veil.protocol.attestation.tdx;
