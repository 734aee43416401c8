package dev.veil.protocol.attestation;

import static dev.veil.protocol.e2ee.E2ee.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AttestationVerifierTest {

    private static final AttestationPolicy SIMULATED_OK = new AttestationPolicy(Set.of(), Set.of(), true);

    private final AttestationVerifier verifier = new AttestationVerifier();
    private NodeKeyPair node;
    private SigningKey signer;
    private byte[] nonce;
    private byte[] measurement;
    private Evidence evidence;

    @BeforeEach
    void attest() {
        node = NodeKeyPair.generate(1);
        signer = SigningKey.generate();
        nonce = new byte[32];
        for (int i = 0; i < 32; i++) {
            nonce[i] = (byte) (0x60 + i);
        }
        measurement = SimulatedEvidence.measure("veil-node test");
        evidence = SimulatedEvidence.attest(node.keyConfig(), signer, nonce, measurement);
    }

    @Test
    void simulatedEvidenceVerifiesWhenAllowed() throws AttestationException {
        AttestationVerifier.VerifiedNode verified = verifier.verify(evidence, nonce, SIMULATED_OK);
        assertThat(verified.format()).isEqualTo("simulated");
        assertThat(verified.simulated()).isTrue();
        assertThat(verified.keyConfig()).isEqualTo(node.keyConfig());
        assertThat(verified.nodeKeyId()).isEqualTo(node.keyConfig().nodeKeyId());
        assertThat(verified.signingKey()).isEqualTo(signer.publicKey());
        assertThat(verified.measurement()).isEqualTo(hex(measurement));
        // also when "simulated" is named among the allowed formats
        assertThat(verifier.verify(evidence, nonce, new AttestationPolicy(Set.of("simulated"), Set.of(), true))
                .nodeKeyId()).isEqualTo(node.keyConfig().nodeKeyId());
    }

    @Test
    void simulatedEvidenceIsShapedAsDocumented() {
        assertThat(evidence.format()).isEqualTo("simulated");
        assertThat(evidence.simulated()).isTrue();
        assertThat(evidence.nodeKeyId()).isEqualTo(node.keyConfig().nodeKeyId());
        assertThat(hex(measurement)).isEqualTo(hex(sha384("veil-node test")));
        byte[] raw = evidence.raw();
        assertThat(raw).hasSize(8 + 48 + 64 + 64);
        assertThat(new String(raw, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("VEILSIM1");
        assertThat(hex(Arrays.copyOfRange(raw, 8, 56))).isEqualTo(hex(measurement));
        // report_data = SHA-256(label || 0x00 || len16(key_config) || key_config || len16(sk) || sk) || nonce
        byte[] kc = node.keyConfig().encoded();
        byte[] sk = signer.publicKey();
        byte[] expected = concat(E2ee.sha256(concat("veil e2ee v1 attestation".getBytes(StandardCharsets.US_ASCII),
                new byte[] {0, 0, 41}, kc, new byte[] {0, 32}, sk)), nonce);
        assertThat(hex(Arrays.copyOfRange(raw, 56, 120))).isEqualTo(hex(expected));
        assertThat(hex(evidence.reportData())).isEqualTo(hex(expected));
        assertThat(hex(ReportData.compute(kc, sk, nonce))).isEqualTo(hex(expected));
        assertThat(SigningKey.verify(sk, Arrays.copyOf(raw, 120), Arrays.copyOfRange(raw, 120, 184))).isTrue();
    }

    @Test
    void simulatedEvidenceIsRefusedUnlessExplicitlyAllowed() {
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, AttestationPolicy.HARDWARE_ONLY))
                .isInstanceOf(AttestationException.SimulatedNotAllowed.class)
                .extracting(e -> ((AttestationException) e).code()).isEqualTo("attestation_simulated_not_allowed");
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, new AttestationPolicy(null, null, false)))
                .isInstanceOf(AttestationException.SimulatedNotAllowed.class);
        // naming the format is not enough: allowSimulated must be set
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, new AttestationPolicy(Set.of("simulated"), Set.of(), false)))
                .isInstanceOf(AttestationException.SimulatedNotAllowed.class);
        // allowed in general, but the policy lists only hardware formats
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, new AttestationPolicy(Set.of("tdx"), Set.of(), true)))
                .isInstanceOf(AttestationException.FormatNotAllowed.class);
    }

    @Test
    void anotherNonceIsRefused() {
        byte[] other = nonce.clone();
        other[31] ^= 1;
        assertThatThrownBy(() -> verifier.verify(evidence, other, SIMULATED_OK))
                .isInstanceOf(AttestationException.NonceMismatch.class);
        // the evidence's own nonce field does not count: only the signed report data
        Evidence claimsOther = new Evidence(evidence.format(), evidence.nodeKeyId(), evidence.keyConfig(),
                evidence.signingKey(), other, ReportData.compute(evidence.keyConfig(), evidence.signingKey(), other),
                evidence.raw(), evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(claimsOther, other, SIMULATED_OK))
                .isInstanceOf(AttestationException.NonceMismatch.class);
        // fresh evidence for the other nonce verifies
        Evidence fresh = SimulatedEvidence.attest(node.keyConfig(), signer, other, measurement);
        assertThatThrownBy(() -> verifier.verify(fresh, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.NonceMismatch.class);
    }

    @Test
    void aSwappedKeyConfigIsNotBound() {
        KeyConfig otherNode = NodeKeyPair.generate(1).keyConfig();
        // the other node's key config with the original (still valid) signature: not bound
        Evidence swapped = new Evidence(evidence.format(), otherNode.nodeKeyId(), otherNode.encoded(),
                evidence.signingKey(), evidence.nonce(), evidence.reportData(), evidence.raw(), evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(swapped, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
        // even keeping the original node_key_id
        Evidence swappedKeepId = new Evidence(evidence.format(), evidence.nodeKeyId(), otherNode.encoded(),
                evidence.signingKey(), evidence.nonce(), evidence.reportData(), evidence.raw(), evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(swappedKeepId, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
    }

    @Test
    void aSwappedSigningKeyIsRefused() {
        SigningKey other = SigningKey.generate();
        // only the field swapped: the simulated report's signature no longer verifies with it
        Evidence swapped = new Evidence(evidence.format(), evidence.nodeKeyId(), evidence.keyConfig(),
                other.publicKey(), evidence.nonce(), evidence.reportData(), evidence.raw(), evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(swapped, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
        // the report re-signed by the other key but still binding the original one: the key is not bound
        byte[] body = Arrays.copyOf(evidence.raw(), 120);
        byte[] resigned = concat(body, other.sign(body));
        Evidence resignedEvidence = new Evidence(evidence.format(), evidence.nodeKeyId(), evidence.keyConfig(),
                other.publicKey(), evidence.nonce(), evidence.reportData(), resigned, evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(resignedEvidence, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
    }

    @Test
    void aWrongNodeKeyIdIsNotBound() {
        Evidence wrongId = new Evidence(evidence.format(), NodeKeyPair.generate(1).keyConfig().nodeKeyId(),
                evidence.keyConfig(), evidence.signingKey(), evidence.nonce(), evidence.reportData(), evidence.raw(),
                evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(wrongId, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
    }

    @Test
    void measurementMustBeOnTheAllowList() throws AttestationException {
        AttestationPolicy other = new AttestationPolicy(Set.of(), Set.of(hex(SimulatedEvidence.measure("something else"))), true);
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, other))
                .isInstanceOf(AttestationException.UnknownMeasurement.class)
                .hasMessageContaining(hex(measurement));
        // listed (in upper case: the policy normalises it)
        AttestationPolicy listed = new AttestationPolicy(Set.of(),
                Set.of(hex(measurement).toUpperCase(java.util.Locale.ROOT), "00"), true);
        assertThat(verifier.verify(evidence, nonce, listed).measurement()).isEqualTo(hex(measurement));
        // the JSON "measurement" field is not what is checked: the signed one is
        Evidence lying = new Evidence(evidence.format(), evidence.nodeKeyId(), evidence.keyConfig(),
                evidence.signingKey(), evidence.nonce(), evidence.reportData(), evidence.raw(),
                hex(SimulatedEvidence.measure("something else")));
        assertThatThrownBy(() -> verifier.verify(lying, nonce, other))
                .isInstanceOf(AttestationException.UnknownMeasurement.class);
    }

    @Test
    void tamperedRawEvidenceIsInvalid() {
        byte[] raw = evidence.raw();
        for (int at : new int[] {0, 8, 55, 56, 100, 119, 120, 183}) {
            byte[] tampered = raw.clone();
            tampered[at] ^= 0x04;
            Evidence e = withRaw(tampered);
            assertThatThrownBy(() -> verifier.verify(e, nonce, SIMULATED_OK)).as("byte %d", at)
                    .isInstanceOf(AttestationException.InvalidEvidence.class);
        }
        assertThatThrownBy(() -> verifier.verify(withRaw(Arrays.copyOf(raw, 183)), nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
        assertThatThrownBy(() -> verifier.verify(withRaw(Arrays.copyOf(raw, 185)), nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
    }

    @Test
    void unknownFormatsAreRefused() {
        Evidence sgx = new Evidence("sgx", evidence.nodeKeyId(), evidence.keyConfig(), evidence.signingKey(),
                evidence.nonce(), evidence.reportData(), evidence.raw(), evidence.measurement());
        assertThatThrownBy(() -> verifier.verify(sgx, nonce, AttestationPolicy.HARDWARE_ONLY))
                .isInstanceOf(AttestationException.UnsupportedFormat.class);
        assertThatThrownBy(() -> verifier.verify(sgx, nonce, new AttestationPolicy(Set.of("tdx", "sev-snp"), Set.of(), true)))
                .isInstanceOf(AttestationException.FormatNotAllowed.class);
    }

    @Test
    void aHardwareFormatVerifierIsUsedForItsFormat() throws AttestationException {
        // a stand-in hardware verifier that attests what the simulated report says, under another format name
        FormatVerifier fake = new FormatVerifier() {
            @Override
            public String format() {
                return "tdx";
            }

            @Override
            public Attested verify(Evidence e) throws AttestationException {
                return SimulatedEvidence.verify(new Evidence(SimulatedEvidence.FORMAT, e.nodeKeyId(), e.keyConfig(),
                        e.signingKey(), e.nonce(), e.reportData(), e.raw(), e.measurement()));
            }
        };
        AttestationVerifier withTdx = new AttestationVerifier(List.of(fake));
        Evidence tdx = new Evidence("tdx", evidence.nodeKeyId(), evidence.keyConfig(), evidence.signingKey(),
                evidence.nonce(), evidence.reportData(), evidence.raw(), evidence.measurement());
        AttestationVerifier.VerifiedNode verified = withTdx.verify(tdx, nonce, AttestationPolicy.HARDWARE_ONLY);
        assertThat(verified.simulated()).isFalse();
        assertThat(verified.format()).isEqualTo("tdx");
        assertThatThrownBy(() -> withTdx.verify(tdx, nonce, new AttestationPolicy(Set.of("sev-snp"), Set.of(), false)))
                .isInstanceOf(AttestationException.FormatNotAllowed.class);
    }

    @Test
    void evidenceJsonRoundTrips() throws AttestationException {
        byte[] json = evidence.toJson();
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text).contains("\"format\":\"simulated\"", "\"simulated\":true",
                "\"nonce\":\"" + hex(nonce) + "\"", "\"report_data\":\"" + hex(evidence.reportData()) + "\"",
                "\"node_key_id\":\"" + node.keyConfig().nodeKeyId() + "\"", "\"measurement\":\"" + hex(measurement) + "\"");
        assertThat(text).doesNotContain("=", "+", "/");

        Evidence parsed = Evidence.parse(json);
        assertThat(parsed.format()).isEqualTo(evidence.format());
        assertThat(parsed.nodeKeyId()).isEqualTo(evidence.nodeKeyId());
        assertThat(parsed.keyConfig()).isEqualTo(evidence.keyConfig());
        assertThat(parsed.signingKey()).isEqualTo(evidence.signingKey());
        assertThat(parsed.nonce()).isEqualTo(evidence.nonce());
        assertThat(parsed.reportData()).isEqualTo(evidence.reportData());
        assertThat(parsed.raw()).isEqualTo(evidence.raw());
        assertThat(parsed.measurement()).isEqualTo(evidence.measurement());
        assertThat(parsed.toJson()).isEqualTo(json);
        assertThat(verifier.verify(parsed, nonce, SIMULATED_OK).keyConfig()).isEqualTo(node.keyConfig());
    }

    @Test
    void malformedEvidenceJsonIsInvalid() {
        assertThatThrownBy(() -> Evidence.parse("[]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
        assertThatThrownBy(() -> Evidence.parse("{\"format\":\"simulated\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
        assertThatThrownBy(() -> Evidence.parse("{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
        String badHex = new String(evidence.toJson(), StandardCharsets.UTF_8).replace(hex(nonce), "zz" + hex(nonce).substring(2));
        assertThatThrownBy(() -> Evidence.parse(badHex.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
    }

    @Test
    void aBoundKeyConfigThatIsNotAV1KeyIsInvalid() {
        byte[] aes128 = node.keyConfig().encoded();
        aes128[40] = 0x01;
        Evidence e = SimulatedEvidence.attest(node.keyConfig(), signer, nonce, measurement);
        // re-make the report over the AES-128 key config, signed by the node's key
        byte[] reportData = ReportData.compute(aes128, signer.publicKey(), nonce);
        byte[] body = concat("VEILSIM1".getBytes(StandardCharsets.US_ASCII), measurement, reportData);
        Evidence other = new Evidence(e.format(), e.nodeKeyId(), aes128, e.signingKey(), nonce, reportData,
                concat(body, signer.sign(body)), e.measurement());
        assertThatThrownBy(() -> verifier.verify(other, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.InvalidEvidence.class);
    }

    private Evidence withRaw(byte[] raw) {
        return new Evidence(evidence.format(), evidence.nodeKeyId(), evidence.keyConfig(), evidence.signingKey(),
                evidence.nonce(), evidence.reportData(), raw, evidence.measurement());
    }

    private static byte[] sha384(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-384").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
