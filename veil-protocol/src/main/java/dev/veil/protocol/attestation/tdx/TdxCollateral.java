package dev.veil.protocol.attestation.tdx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Intel PCS collateral for TDX quotes, fetched by the operator (nodes have no internet access) and kept as files.
 * Nothing here is trusted yet: {@link TdxVerifier} checks every signature against the pinned Intel SGX Root CA and
 * every validity period against the verification time.
 *
 * <p>Files of a collateral directory ({@link #load(Path)}):
 * <table>
 * <caption>collateral files</caption>
 * <tr><th>file</th><th>content (Intel PCS v4)</th></tr>
 * <tr><td>{@value #TCB_INFO}</td><td>body of {@code GET https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=<FMSPC>}</td></tr>
 * <tr><td>{@value #TCB_INFO_ISSUER_CHAIN}</td><td>that response's {@code TCB-Info-Issuer-Chain} header: PEM (TCB Signing
 * certificate, Intel SGX Root CA), URL-encoded as served or decoded</td></tr>
 * <tr><td>{@value #QE_IDENTITY}</td><td>body of {@code GET https://api.trustedservices.intel.com/tdx/certification/v4/qe/identity}</td></tr>
 * <tr><td>{@value #QE_IDENTITY_ISSUER_CHAIN}</td><td>optional: its {@code SGX-Enclave-Identity-Issuer-Chain} header;
 * when absent the TCB info issuer chain is used (Intel signs both with the same TCB Signing certificate)</td></tr>
 * <tr><td>{@value #PCK_CRL}</td><td>{@code GET https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=platform&encoding=der}
 * (DER, PEM or hex)</td></tr>
 * <tr><td>{@value #PCK_CRL_PROCESSOR}</td><td>optional: the same with {@code ca=processor}, for PCK certificates issued
 * by the Processor CA</td></tr>
 * <tr><td>{@value #ROOT_CA_CRL}</td><td>{@code https://certificates.trustedservices.intel.com/IntelSGXRootCA.der}
 * (DER, PEM or hex)</td></tr>
 * </table>
 * The PCK CRL's own issuer chain header is not needed: the CRL is verified with the CA certificate of the quote's PCK
 * chain, itself verified to the pinned root.
 *
 * <p>Instances exist only through {@link #load(Path)} and {@link #parse}, so the parsed TCB info and QE identity are
 * always those of the signed bytes the verifier checks.
 */
public final class TdxCollateral {

    public static final String TCB_INFO = "tcb_info.json";
    public static final String TCB_INFO_ISSUER_CHAIN = "tcb_info_issuer_chain.pem";
    public static final String QE_IDENTITY = "qe_identity.json";
    public static final String QE_IDENTITY_ISSUER_CHAIN = "qe_identity_issuer_chain.pem";
    public static final String PCK_CRL = "pck_crl.der";
    public static final String PCK_CRL_PROCESSOR = "pck_crl_processor.der";
    public static final String ROOT_CA_CRL = "root_ca_crl.der";

    private final TcbInfo tcbInfo;
    private final List<X509Certificate> tcbInfoIssuerChain;
    private final QeIdentity qeIdentity;
    private final List<X509Certificate> qeIdentityIssuerChain;
    private final List<X509CRL> pckCrls;
    private final X509CRL rootCaCrl;

    /** Package-private: outside this package collateral comes only from parsing what Intel signed. */
    TdxCollateral(TcbInfo tcbInfo, List<X509Certificate> tcbInfoIssuerChain, QeIdentity qeIdentity,
                  List<X509Certificate> qeIdentityIssuerChain, List<X509CRL> pckCrls, X509CRL rootCaCrl) {
        if (tcbInfo == null || qeIdentity == null || rootCaCrl == null || pckCrls.isEmpty()
                || tcbInfoIssuerChain.isEmpty() || qeIdentityIssuerChain.isEmpty()) {
            throw new IllegalArgumentException("TCB info, QE identity, issuer chains, a PCK CRL and the root CA CRL"
                    + " are required");
        }
        this.tcbInfo = tcbInfo;
        this.tcbInfoIssuerChain = List.copyOf(tcbInfoIssuerChain);
        this.qeIdentity = qeIdentity;
        this.qeIdentityIssuerChain = List.copyOf(qeIdentityIssuerChain);
        this.pckCrls = List.copyOf(pckCrls);
        this.rootCaCrl = rootCaCrl;
    }

    /** TDX TCB info for the platforms' FMSPC. */
    public TcbInfo tcbInfo() {
        return tcbInfo;
    }

    /** TCB Signing certificate, then (optionally) the root. */
    public List<X509Certificate> tcbInfoIssuerChain() {
        return tcbInfoIssuerChain;
    }

    /** TDX QE identity. */
    public QeIdentity qeIdentity() {
        return qeIdentity;
    }

    /** TCB Signing certificate, then (optionally) the root. */
    public List<X509Certificate> qeIdentityIssuerChain() {
        return qeIdentityIssuerChain;
    }

    /** PCK CRLs (Platform CA and/or Processor CA). */
    public List<X509CRL> pckCrls() {
        return pckCrls;
    }

    /** The Intel SGX Root CA's CRL. */
    public X509CRL rootCaCrl() {
        return rootCaCrl;
    }

    /**
     * Reads a collateral directory (file names above).
     *
     * @throws IOException        a required file is missing or unreadable
     * @throws TdxFormatException a file is malformed (the exception names it)
     */
    public static TdxCollateral load(Path dir) throws IOException, TdxFormatException {
        byte[] tcbChain = Files.readAllBytes(dir.resolve(TCB_INFO_ISSUER_CHAIN));
        byte[] qeChain = optional(dir.resolve(QE_IDENTITY_ISSUER_CHAIN));
        List<byte[]> pckCrls = new ArrayList<>();
        pckCrls.add(Files.readAllBytes(dir.resolve(PCK_CRL)));
        byte[] processor = optional(dir.resolve(PCK_CRL_PROCESSOR));
        if (processor != null) {
            pckCrls.add(processor);
        }
        return parse(Files.readAllBytes(dir.resolve(TCB_INFO)), tcbChain, Files.readAllBytes(dir.resolve(QE_IDENTITY)),
                qeChain != null ? qeChain : tcbChain, pckCrls, Files.readAllBytes(dir.resolve(ROOT_CA_CRL)));
    }

    /** Parses collateral given as the bytes of the files {@link #load(Path)} reads. */
    public static TdxCollateral parse(byte[] tcbInfo, byte[] tcbInfoIssuerChain, byte[] qeIdentity,
                                      byte[] qeIdentityIssuerChain, List<byte[]> pckCrls, byte[] rootCaCrl)
            throws TdxFormatException {
        List<X509CRL> crls = new ArrayList<>();
        for (byte[] crl : pckCrls) {
            crls.add(Certs.crl(crl, PCK_CRL));
        }
        return new TdxCollateral(TcbInfo.parse(tcbInfo), Certs.pemChain(tcbInfoIssuerChain, TCB_INFO_ISSUER_CHAIN),
                QeIdentity.parse(qeIdentity), Certs.pemChain(qeIdentityIssuerChain, QE_IDENTITY_ISSUER_CHAIN), crls,
                Certs.crl(rootCaCrl, ROOT_CA_CRL));
    }

    private static byte[] optional(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
