package dev.veil.protocol.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.PrivacyMode;
import dev.veil.protocol.TeeKind;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.e2ee.SignedReceipt;
import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A node's declaration travels with its evidence, signed by the attested key; anything else fails closed. */
class NodeDeclarationTest {

    private static final AttestationPolicy SIMULATED_OK = new AttestationPolicy(Set.of(), Set.of(), true);
    private static final NodeDeclaration EU = new NodeDeclaration("node-eu", false, 0, true, "EU", null);

    private final NodeKeyPair keys = NodeKeyPair.generate(1);
    private final SigningKey signer = SigningKey.generate();
    private final byte[] nonce = new byte[32];

    private Evidence evidence(NodeDeclaration.Signed declaration) {
        return SimulatedEvidence.attest(keys.keyConfig(), signer, nonce, SimulatedEvidence.measure("t"))
                .withDeclaration(declaration);
    }

    @Test
    void aSignedDeclarationSurvivesJsonAndVerifies() throws Exception {
        Evidence parsed = Evidence.parse(evidence(EU.sign(signer)).toJson());
        AttestationVerifier.VerifiedNode verified = new AttestationVerifier().verify(parsed, nonce, SIMULATED_OK);
        assertThat(verified.declaration()).isEqualTo(EU);
        assertThat(verified.declaration().dataPolicy(verified.format()).teeKind()).isEqualTo(TeeKind.SIMULATED);
        assertThat(verified.declaration().target(verified.format()).mode()).isEqualTo(PrivacyMode.E2EE);
    }

    @Test
    void evidenceWithoutADeclarationVerifiesWithNone() throws Exception {
        assertThat(new AttestationVerifier().verify(Evidence.parse(evidence(null).toJson()), nonce, SIMULATED_OK)
                .declaration()).isNull();
    }

    @Test
    void aDeclarationNotSignedByTheAttestedKeyFailsTheWholeEvidence() {
        NodeDeclaration.Signed byAnother = EU.sign(SigningKey.generate());
        assertThatThrownBy(() -> new AttestationVerifier().verify(evidence(byAnother), nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.InvalidEvidence.class);

        NodeDeclaration.Signed genuine = EU.sign(signer);
        byte[] edited = new String(genuine.payload(), StandardCharsets.UTF_8).replace("\"EU\"", "\"CH\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(Arrays.equals(edited, genuine.payload())).isFalse();
        assertThatThrownBy(() -> new AttestationVerifier().verify(
                evidence(new NodeDeclaration.Signed(edited, genuine.signature())), nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
    }

    @Test
    void aReceiptSignatureNeverPassesForADeclaration() throws Exception {
        // Same key, different context: a signed receipt's bytes and signature are not a declaration.
        SignedReceipt receipt = SignedReceipt.sign(new Receipt(1, "k", "m", "/v1/chat/completions", "00", "00", 1, 1, 1),
                signer);
        assertThatThrownBy(() -> NodeDeclaration.verify(
                new NodeDeclaration.Signed(receipt.payload(), receipt.signature()), signer.publicKey()))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
    }
}
