package dev.veil.protocol.attestation.snp;

import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * The distinguished names of AMD's SEV certificates (AMD KDS specification, as checked by {@code google/go-sev-guest}
 * {@code verify/verify.go}): {@code OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, CN=<role>}.
 */
final class AmdNames {

    private static final Map<ASN1ObjectIdentifier, String> LOCATION = Map.of(
            BCStyle.OU, "Engineering",
            BCStyle.C, "US",
            BCStyle.L, "Santa Clara",
            BCStyle.ST, "CA",
            BCStyle.O, "Advanced Micro Devices");

    private AmdNames() {
    }

    /** The single common name of {@code name}, or null when it has none or several. */
    static String commonName(X500Principal name) {
        return single(X500Name.getInstance(name.getEncoded()), BCStyle.CN);
    }

    /** Null when {@code name} has AMD's location attributes, otherwise what is wrong. */
    static String locationProblem(X500Principal name, String role) {
        X500Name x = X500Name.getInstance(name.getEncoded());
        for (Map.Entry<ASN1ObjectIdentifier, String> e : LOCATION.entrySet()) {
            String got = single(x, e.getKey());
            if (!e.getValue().equals(got)) {
                return role + " " + BCStyle.INSTANCE.oidToDisplayName(e.getKey()) + " is '" + got + "', AMD's is '"
                        + e.getValue() + "'";
            }
        }
        return null;
    }

    private static String single(X500Name name, ASN1ObjectIdentifier type) {
        RDN[] rdns = name.getRDNs(type);
        if (rdns.length != 1 || rdns[0].isMultiValued()) {
            return null;
        }
        return rdns[0].getFirst().getValue() instanceof ASN1String s ? s.getString() : null;
    }
}
