/**
 * Verification of AMD SEV-SNP attestation reports (evidence format {@code sev-snp}).
 *
 * <p>{@link dev.veil.protocol.attestation.snp.SnpVerifier} checks a raw 1184-byte attestation report
 * ({@link dev.veil.protocol.attestation.snp.SnpReport}) and its certificates against AMD root keys pinned in this package
 * ({@link dev.veil.protocol.attestation.snp.AmdTrustStore}): the VCEK (or VLEK) certificate chains through the ASK (or
 * ASVK) to the ARK of one product line (Milan, Genoa, Turin) with RSASSA-PSS/SHA-384 signatures; the report is signed by
 * the VCEK/VLEK with ECDSA P-384/SHA-384; the VCEK's AMD extensions (OIDs {@code 1.3.6.1.4.1.3704.1.*}) must match the
 * report's REPORTED_TCB and CHIP_ID; then an {@link dev.veil.protocol.attestation.snp.SnpPolicy} decides about debug,
 * minimum TCB, VMPL, measurement and report data. The outcome is a {@link dev.veil.protocol.attestation.Verdict}
 * naming every check; {@link dev.veil.protocol.attestation.snp.SnpFormatVerifier} adapts it to
 * {@link dev.veil.protocol.attestation.FormatVerifier}.
 *
 * <p>Sources of facts (offsets, OIDs, names) — no code was copied: the AMD SEV-SNP ABI specification (AMD document
 * 56860) and the AMD VCEK certificate and KDS interface specification (AMD document 57230) as encoded in
 * {@code google/go-sev-guest} ({@code abi/abi.go}, {@code kds/kds.go}, {@code verify/verify.go}, commit
 * {@code af1c107a648f47253da23a9de7a7c82ec073cfdb}) and, for the Turin TCB layout and the FMC SPL extension,
 * {@code virtee/sev} ({@code src/firmware/host/types/snp.rs}, commit {@code 9cf2adbffa209cc5becf7ff89ffdf624e7278ced}).
 * The pinned AMD certificates come from {@code google/go-sev-guest} {@code verify/trust/ask_ark_*.pem} (which record
 * AMD KDS {@code https://kdsintf.amd.com/{vcek,vlek}/v1/<product>/cert_chain} as their origin) and were cross-checked
 * byte for byte against {@code virtee/sev} {@code src/certs/snp/builtin/<product>/{ark,ask}.pem}.
 *
 * <p>Not verified: certificate revocation (AMD KDS CRLs), the ID block / author key (ID_KEY_DIGEST, AUTHOR_KEY_DIGEST,
 * FAMILY_ID, IMAGE_ID, HOST_DATA, GUEST_SVN are parsed but no policy applies to them), whether COMMITTED_TCB equals
 * CURRENT_TCB (provisional firmware), the mitigation vectors of version-5 reports, and the CPU stepping in a VCEK's
 * product name.
 */
package dev.veil.protocol.attestation.snp;
