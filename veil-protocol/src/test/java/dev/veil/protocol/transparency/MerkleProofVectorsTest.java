package dev.veil.protocol.transparency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The verifier against the published inclusion and consistency test vectors of transparency-dev/merkle (see
 * {@code src/test/resources/transparency/README.md}): each happy path verifies and each mutation is refused.
 */
class MerkleProofVectorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theVectorsAreAllThere() throws Exception {
        assertEquals(98, vectors("inclusion").size());
        assertEquals(98, vectors("consistency").size());
    }

    @TestFactory
    Stream<DynamicTest> inclusionVectors() throws Exception {
        return vectors("inclusion").stream().map(file -> DynamicTest.dynamicTest(name(file), () -> {
            JsonNode v = JSON.readTree(file.toFile());
            check(v, () -> ProofVerifier.verifyInclusion(v.get("leafIdx").asLong(), v.get("treeSize").asLong(),
                    bytes(v.get("leafHash")), hashes(v.get("proof")), bytes(v.get("root"))));
        }));
    }

    @TestFactory
    Stream<DynamicTest> consistencyVectors() throws Exception {
        return vectors("consistency").stream().map(file -> DynamicTest.dynamicTest(name(file), () -> {
            JsonNode v = JSON.readTree(file.toFile());
            check(v, () -> ProofVerifier.verifyConsistency(v.get("size1").asLong(), v.get("size2").asLong(),
                    hashes(v.get("proof")), bytes(v.get("root1")), bytes(v.get("root2"))));
        }));
    }

    private interface Verification {
        void run() throws InvalidProof;
    }

    private static void check(JsonNode vector, Verification verification) {
        boolean wantErr = vector.get("wantErr").asBoolean();
        if (!wantErr && hasMalformedHash(vector)) {
            // A few "additional" vectors use placeholder roots that are not SHA-256 hashes ("don't care") in cases a
            // lenient verifier accepts without hashing. Veil's verifier refuses any hash that is not 32 bytes first,
            // stricter than the reference; such a case must then be refused for exactly that reason.
            try {
                verification.run();
                fail("accepted a hash that is not 32 bytes: " + vector.get("desc").asText());
            } catch (InvalidProof refused) {
                assertTrue(refused.getMessage().contains("32-byte"), refused.getMessage());
            }
            return;
        }
        try {
            verification.run();
            if (wantErr) {
                fail("accepted a proof that must be refused: " + vector.get("desc").asText());
            }
        } catch (InvalidProof refused) {
            if (!wantErr) {
                fail("refused a good proof (" + vector.get("desc").asText() + "): " + refused.getMessage());
            }
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank());
        }
    }

    private static boolean hasMalformedHash(JsonNode vector) {
        for (String field : List.of("root", "root1", "root2", "leafHash")) {
            if (vector.has(field) && bytes(vector.get(field)).length != MerkleHash.SIZE) {
                return true;
            }
        }
        for (byte[] component : hashes(vector.get("proof"))) {
            if (component.length != MerkleHash.SIZE) {
                return true;
            }
        }
        return false;
    }

    private static byte[] bytes(JsonNode node) {
        return node == null || node.isNull() ? new byte[0] : Base64.getDecoder().decode(node.asText());
    }

    private static List<byte[]> hashes(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        if (array != null && !array.isNull()) {
            array.forEach(h -> out.add(bytes(h)));
        }
        return out;
    }

    private static List<Path> vectors(String kind) throws IOException, URISyntaxException {
        Path root = Path.of(MerkleProofVectorsTest.class.getResource("/transparency/" + kind).toURI());
        try (Stream<Path> files = Files.walk(root, 3)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static String name(Path file) {
        return file.getParent().getFileName() + "/" + file.getFileName();
    }
}
