package dev.veil.protocol.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SnpCertificateTableTest {

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = SnpCertificateTableTest.class.getResourceAsStream("/snp/go-sev-guest/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    /** Builds a table the way a host does: entries, a zero terminator, then the DER blobs. */
    private static byte[] table(String guid, byte[] der) {
        int header = 48;
        ByteBuffer b = ByteBuffer.allocate(header + der.length).order(ByteOrder.LITTLE_ENDIAN);
        UUID id = UUID.fromString(guid);
        long msb = id.getMostSignificantBits();
        b.putInt((int) (msb >>> 32)).putShort((short) (msb >>> 16)).putShort((short) msb);
        b.order(ByteOrder.BIG_ENDIAN).putLong(id.getLeastSignificantBits()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(header).putInt(der.length);
        b.put(new byte[24]);
        b.put(der);
        return b.array();
    }

    @Test
    void readsTheVcekFromAHostTableAndIgnoresUnknownEntries() throws Exception {
        byte[] vcek = resource("vcek.testcer");
        var certs = SnpCertificateTable.parse(table("63da758d-e664-4564-adc5-f4b93be8accd", vcek));
        assertThat(certs).hasSize(1);
        assertThat(certs.get(0).getEncoded()).isEqualTo(vcek);
        assertThat(SnpCertificateTable.parse(table("11111111-2222-3333-4444-555555555555", vcek))).isEmpty();
        assertThat(SnpCertificateTable.parse(null)).isEmpty();
    }

    @Test
    void refusesATableThatPointsOutsideItself() throws Exception {
        byte[] bad = table("63da758d-e664-4564-adc5-f4b93be8accd", resource("vcek.testcer"));
        bad[20] = (byte) 0xff;
        bad[21] = (byte) 0xff;
        assertThatThrownBy(() -> SnpCertificateTable.parse(bad)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SnpCertificateTable.parse(new byte[10])).hasMessageContaining("terminating");
    }
}
