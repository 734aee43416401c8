package dev.veil.protocol.attestation.snp;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The certificates a SEV-SNP host hands a guest with its report (the extended-report certificate table, as Linux
 * configfs-tsm exposes it in {@code auxblob}): entries of GUID (16) || offset (u32 LE) || length (u32 LE), ended by an
 * all-zero entry, offsets counted from the table's start. Only endorsement and AMD chain certificates are returned
 * (VCEK, VLEK, ASK, ASVK, ARK); a PEM bundle is accepted too, for operators who supply the chain by file.
 */
public final class SnpCertificateTable {

    /** The GUIDs of the certificates the table may carry (AMD SEV-SNP firmware ABI). */
    static final Set<String> KNOWN = Set.of(
            "63da758d-e664-4564-adc5-f4b93be8accd", // VCEK
            "a8074bc2-a25a-483e-aae6-39c045a0b8a1", // VLEK
            "4ab7b379-bbac-4fe4-a02f-05aef327c782", // ASK
            "c0b406a4-a803-4952-9743-3fb6014cd0ae"); // ARK

    private SnpCertificateTable() {
    }

    /**
     * Parses a certificate table (or PEM bundle).
     *
     * @throws IllegalArgumentException naming what is malformed
     */
    public static List<X509Certificate> parse(byte[] table) {
        if (table == null || table.length == 0) {
            return List.of();
        }
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            if (new String(table, 0, Math.min(table.length, 40), StandardCharsets.US_ASCII).contains("-----BEGIN")) {
                List<X509Certificate> out = new ArrayList<>();
                for (var c : factory.generateCertificates(new ByteArrayInputStream(table))) {
                    out.add((X509Certificate) c);
                }
                return out;
            }
            ByteBuffer b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
            List<X509Certificate> out = new ArrayList<>();
            for (int entry = 0; ; entry += 24) {
                if (entry + 24 > table.length) {
                    throw new IllegalArgumentException("certificate table has no terminating entry");
                }
                String guid = guid(table, entry);
                long offset = Integer.toUnsignedLong(b.getInt(entry + 16));
                long length = Integer.toUnsignedLong(b.getInt(entry + 20));
                if (guid.equals("00000000-0000-0000-0000-000000000000") && offset == 0 && length == 0) {
                    return out;
                }
                if (offset + length > table.length) {
                    throw new IllegalArgumentException("certificate table entry " + (entry / 24) + " points past the table");
                }
                if (KNOWN.contains(guid) && length > 0) {
                    out.add((X509Certificate) factory.generateCertificate(
                            new ByteArrayInputStream(table, (int) offset, (int) length)));
                }
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException("certificate table holds a certificate that does not parse");
        }
    }

    /** A GUID in its usual text form; the first three fields are stored little-endian. */
    static String guid(byte[] b, int at) {
        return String.format(Locale.ROOT, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[at + 3], b[at + 2], b[at + 1], b[at], b[at + 5], b[at + 4], b[at + 7], b[at + 6],
                b[at + 8], b[at + 9], b[at + 10], b[at + 11], b[at + 12], b[at + 13], b[at + 14], b[at + 15]);
    }
}
