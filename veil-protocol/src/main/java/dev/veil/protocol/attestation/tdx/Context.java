package dev.veil.protocol.attestation.tdx;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** The state one verification builds up as its checks pass. */
final class Context {

    final TdxQuote quote;
    final TdxCollateral collateral;
    final TdxPolicy policy;
    final Instant at;
    /** PCK leaf, CA, root once {@link TdxChecks#PCK_CHAIN} passed. */
    List<X509Certificate> pckChain;
    PckExtensions pck;

    Context(TdxQuote quote, TdxCollateral collateral, TdxPolicy policy, Instant at) {
        this.quote = quote;
        this.collateral = collateral;
        this.policy = policy;
        this.at = at;
    }

    X509Certificate pckLeaf() {
        return pckChain.get(0);
    }

    X509Certificate pckCa() {
        return pckChain.get(1);
    }
}
