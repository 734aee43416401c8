package dev.veil.client.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.batch.ClientSealing;
import dev.veil.protocol.stream.SealingOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientKeyTest {

    @TempDir
    Path dir;

    @Test
    void keyFilesRoundTripAndDecryptResults() throws IOException {
        ClientKey key = ClientKey.generate();
        Path file = dir.resolve("batch.key");
        key.write(file);
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
        ClientKey read = ClientKey.read(file);
        assertThat(read.privateKey()).isEqualTo(key.privateKey());
        ClientKey pub = ClientKey.read(dir.resolve("batch.key.pub"));
        assertThat(pub.privateKey()).isNull();
        assertThat(pub.publicKey()).isEqualTo(key.publicKey());

        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        SealingOutputStream part = ClientSealing.sealPart(sealed, pub.publicKey(), "batch_x", ClientSealing.KIND_OUTPUT, 0);
        part.write("{\"custom_id\":\"a\"}\n".getBytes(StandardCharsets.UTF_8));
        part.finish();
        assertThat(new String(BatchResults.decrypt(new ByteArrayInputStream(sealed.toByteArray()), read.privateKey())
                .readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"custom_id\":\"a\"}\n");
        assertThatThrownBy(() -> BatchResults.decrypt(new ByteArrayInputStream(sealed.toByteArray()),
                ClientKey.generate().privateKey()).readAllBytes()).isInstanceOf(IOException.class);
        Files.writeString(dir.resolve("bad.key"), "not json");
        assertThatThrownBy(() -> ClientKey.read(dir.resolve("bad.key"))).isInstanceOf(IOException.class);
    }
}
