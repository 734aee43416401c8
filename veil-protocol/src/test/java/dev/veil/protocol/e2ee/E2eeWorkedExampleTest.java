package dev.veil.protocol.e2ee;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.SimulatedEvidence;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.junit.jupiter.api.Test;

/**
 * Generates the worked example of docs/e2ee.md §10 from fixed keys with the production code, checks every value
 * against {@link ReferenceE2ee} (a JDK-only implementation written from the page), and checks the page carries
 * exactly this example between its markers. With {@code -Dveil.regenerate=true} it writes the example into the page
 * instead.
 */
class E2eeWorkedExampleTest {

    static final String START = "<!-- worked-example:start -->";
    static final String END = "<!-- worked-example:end -->";

    static final byte[] IKM_R = counting(0x00);
    static final byte[] IKM_E = counting(0x20);
    static final byte[] SIGNING_SEED = counting(0x40);
    static final byte[] ATTESTATION_NONCE = counting(0x60);
    static final byte[] RESPONSE_NONCE = counting(0x80);
    static final int KEY_ID = 1;
    static final String SOFTWARE = "veil-node worked-example";
    static final String PATH = "/v1/chat/completions";
    static final String MODEL = "veil-demo-e2ee";
    static final boolean STREAM = true;
    static final String REQUEST =
            "{\"model\":\"veil-demo-e2ee\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"stream\":true}";
    static final int STATUS = 200;
    static final String CONTENT_TYPE = "text/event-stream";
    static final List<String> EVENTS = List.of(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"}}]}\n\n");
    static final String LAST = "data: [DONE]\n\n";
    static final long PROMPT_TOKENS = 9;
    static final long COMPLETION_TOKENS = 2;
    static final long CREATED = 1_767_225_600L; // 2026-01-01T00:00:00Z

    private static final HexFormat HEX = HexFormat.of();
    private static final int NAME_WIDTH = 18;

    @Test
    void docsCarryTheGeneratedExample() throws Exception {
        String generated = generate();
        Path doc = docPath();
        String text = Files.readString(doc, StandardCharsets.UTF_8).replace("\r\n", "\n");
        if (Boolean.getBoolean("veil.regenerate")) {
            text = splice(text, generated);
            Files.writeString(doc, text, StandardCharsets.UTF_8);
        }
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        assertThat(start).as("%s in %s (run with -Dveil.regenerate=true to write it)", START, doc).isNotNegative();
        assertThat(end).as("%s after %s in %s", END, START, doc).isGreaterThan(start);
        assertThat(text.indexOf(START, start + 1)).as("one example only").isNegative();
        String inDoc = text.substring(start + START.length(), end).strip();
        assertThat(inDoc)
                .as("docs/e2ee.md §10 differs from what the code produces; regenerate with "
                        + "./mvnw -B verify -pl veil-protocol -Dveil.regenerate=true")
                .isEqualTo(generated.strip());
        assertThat(text.indexOf("## 10. Worked example")).as("the example sits in §10").isBetween(0, start);
    }

    @Test
    void generationIsDeterministic() throws Exception {
        assertThat(generate()).isEqualTo(generate());
    }

    static Path docPath() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        return Paths.get(base).resolve("../docs/e2ee.md").normalize();
    }

    static String splice(String text, String generated) {
        String block = START + "\n" + generated.strip() + "\n" + END;
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        if (start >= 0 && end > start) {
            return text.substring(0, start) + block + text.substring(end + END.length());
        }
        return text.stripTrailing() + "\n\n" + block + "\n";
    }

    /** Builds the example with the production code, checks it with the reference, and renders it. */
    static String generate() throws Exception {
        // ---------------------------------------------------------------- production code
        NodeKeyPair node = NodeKeyPair.derive(KEY_ID, IKM_R);
        KeyConfig keyConfig = node.keyConfig();
        SigningKey signer = SigningKey.fromSeed(SIGNING_SEED);
        byte[] measurement = SimulatedEvidence.measure(SOFTWARE);
        Evidence evidence = SimulatedEvidence.attest(keyConfig, signer, ATTESTATION_NONCE, measurement);
        AttestationVerifier.VerifiedNode verified = new AttestationVerifier()
                .verify(Evidence.parse(evidence.toJson()), ATTESTATION_NONCE, new AttestationPolicy(Set.of(), Set.of(), true));

        RequestMeta meta = new RequestMeta(PATH, MODEL, STREAM);
        byte[] requestPlain = REQUEST.getBytes(StandardCharsets.UTF_8);
        SealedRequest sealed = SealedRequest.seal(verified.keyConfig(), meta, requestPlain, IKM_E);
        byte[] body = sealed.body();

        OpenedRequest opened = OpenedRequest.open(node, new ReplayGuard(8), meta, body);
        assertThat(new String(opened.plaintext(), StandardCharsets.UTF_8)).isEqualTo(REQUEST);
        ResponseSealer sealer = opened.responseSealer(RESPONSE_NONCE);
        byte[] responseNonce = sealer.start();
        List<byte[]> frames = new ArrayList<>();
        frames.add(sealer.head(STATUS, CONTENT_TYPE));
        for (String event : EVENTS) {
            frames.add(sealer.chunk(event.getBytes(StandardCharsets.UTF_8)));
        }
        frames.add(sealer.finish(LAST.getBytes(StandardCharsets.UTF_8)));
        byte[] responseHash = sealer.responseHash();
        Receipt receipt = new Receipt(1, keyConfig.nodeKeyId(), MODEL, PATH, hex(opened.requestHash()),
                hex(responseHash), PROMPT_TOKENS, COMPLETION_TOKENS, CREATED);
        SignedReceipt signed = SignedReceipt.sign(receipt, signer);
        byte[] receiptFrame = sealer.receiptFrame(signed);
        ByteArrayOutputStream responseOut = new ByteArrayOutputStream();
        responseOut.writeBytes(responseNonce);
        frames.forEach(responseOut::writeBytes);
        responseOut.writeBytes(receiptFrame);
        byte[] response = responseOut.toByteArray();

        List<byte[]> chunks = new ArrayList<>();
        chunks.add(("{\"status\":" + STATUS + ",\"content_type\":\"" + CONTENT_TYPE + "\"}").getBytes(StandardCharsets.UTF_8));
        EVENTS.forEach(e -> chunks.add(e.getBytes(StandardCharsets.UTF_8)));
        chunks.add(LAST.getBytes(StandardCharsets.UTF_8));

        // ---------------------------------------------------------------- the production client opens it
        ResponseOpener opener = sealed.responseOpener();
        List<ResponseOpener.Part> parts = new ArrayList<>();
        for (int at = 0; at < response.length; at += 13) {
            parts.addAll(opener.accept(Arrays.copyOfRange(response, at, Math.min(response.length, at + 13))));
        }
        opener.end();
        assertThat(parts).hasSize(chunks.size() + 1);
        assertThat(parts.get(0)).isEqualTo(new ResponseOpener.Head(STATUS, CONTENT_TYPE));
        for (int i = 1; i < chunks.size(); i++) {
            assertThat(((ResponseOpener.Chunk) parts.get(i)).data()).isEqualTo(chunks.get(i));
        }
        SignedReceipt carried = ((ResponseOpener.Receipt) parts.get(parts.size() - 1)).signed();
        assertThat(opener.verifyReceipt(carried, verified.signingKey())).isEqualTo(receipt);

        // ---------------------------------------------------------------- the reference agrees on every value
        byte[] skR = ReferenceE2ee.deriveSecretKey(IKM_R);
        byte[] pkR = ReferenceE2ee.publicKey(skR);
        assertThat(hex(keyConfig.publicKey())).isEqualTo(hex(pkR));
        byte[] refKeyConfig = ReferenceE2ee.keyConfig(KEY_ID, pkR);
        assertThat(hex(keyConfig.encoded())).isEqualTo(hex(refKeyConfig));
        assertThat(keyConfig.nodeKeyId()).isEqualTo(ReferenceE2ee.nodeKeyId(refKeyConfig));
        byte[] signingKey = signer.publicKey();

        byte[] binding = ReferenceE2ee.concat(ReferenceE2ee.ascii("veil e2ee v1 attestation"), new byte[] {0},
                ReferenceE2ee.u16(refKeyConfig.length), refKeyConfig, ReferenceE2ee.u16(signingKey.length), signingKey);
        byte[] reportData = ReferenceE2ee.reportData(refKeyConfig, signingKey, ATTESTATION_NONCE);
        assertThat(hex(evidence.reportData())).isEqualTo(hex(reportData));
        byte[] rawBody = ReferenceE2ee.concat(ReferenceE2ee.ascii("VEILSIM1"),
                ReferenceE2ee.sha384(SOFTWARE.getBytes(StandardCharsets.UTF_8)), reportData);
        byte[] raw = ReferenceE2ee.concat(rawBody, ReferenceE2ee.ed25519Sign(SIGNING_SEED, rawBody));
        assertThat(hex(evidence.raw())).isEqualTo(hex(raw));
        assertThat(ReferenceE2ee.ed25519Verify(signingKey, rawBody, Arrays.copyOfRange(raw, 120, 184))).isTrue();

        byte[] hdr = ReferenceE2ee.hdr(KEY_ID);
        byte[] info = ReferenceE2ee.info(hdr, PATH, MODEL, STREAM);
        assertThat(hex(meta.info(keyConfig.requestHeader()))).isEqualTo(hex(info));
        ReferenceE2ee.Context ctx = ReferenceE2ee.setupBaseS(pkR, info, IKM_E);
        byte[] ct = ctx.seal(0, new byte[0], requestPlain);
        byte[] refBody = ReferenceE2ee.concat(hdr, ctx.enc(), ct);
        assertThat(hex(body)).isEqualTo(hex(refBody));
        // the receiving side, independently: skR opens it
        ReferenceE2ee.Context receiver = ReferenceE2ee.setupBaseR(ctx.enc(), skR, info);
        assertThat(new String(receiver.open(0, new byte[0], ct), StandardCharsets.UTF_8)).isEqualTo(REQUEST);

        ReferenceE2ee.ResponseKeys rk = ReferenceE2ee.responseKeys(ctx, RESPONSE_NONCE);
        assertThat(hex(ReferenceE2ee.responseKeys(receiver, RESPONSE_NONCE).key())).isEqualTo(hex(rk.key()));
        // BouncyCastle's own export, for the exported secret
        HPKE hpke = E2ee.hpke();
        HPKEContextWithEncapsulation bc = hpke.setupBaseS(hpke.deserializePublicKey(pkR), info, hpke.deriveKeyPair(IKM_E));
        assertThat(hex(bc.export(ReferenceE2ee.ascii("veil e2ee v1 response"), 32))).isEqualTo(hex(rk.secret()));
        for (int i = 0; i < frames.size(); i++) {
            int flags = i == frames.size() - 1 ? E2ee.FLAG_FINAL : 0;
            assertThat(hex(frames.get(i))).as("frame %d", i).isEqualTo(hex(rk.frame(i, flags, chunks.get(i))));
            assertThat(rk.openFrame(i, frames.get(i))).as("frame %d opens", i).isEqualTo(chunks.get(i));
        }
        byte[] sealedPart = Arrays.copyOf(response, response.length - receiptFrame.length);
        assertThat(hex(responseHash)).isEqualTo(hex(ReferenceE2ee.sha256(sealedPart)));
        assertThat(hex(opened.requestHash())).isEqualTo(hex(ReferenceE2ee.sha256(refBody)));
        assertThat(hex(signed.signature())).isEqualTo(hex(ReferenceE2ee.ed25519Sign(SIGNING_SEED, signed.payload())));
        assertThat(ReferenceE2ee.ed25519Verify(signingKey, signed.payload(), signed.signature())).isTrue();
        assertThat(hex(receiptFrame)).isEqualTo(hex(ReferenceE2ee.concat(new byte[] {E2ee.FLAG_RECEIPT},
                ReferenceE2ee.u32(signed.toFramePayload().length), signed.toFramePayload())));

        // ---------------------------------------------------------------- render
        Md md = new Md();
        md.line("<!-- Generated by E2eeWorkedExampleTest (veil-protocol) from fixed keys; do not edit by hand. After a "
                + "protocol change: ./mvnw -B verify -pl veil-protocol -Dveil.regenerate=true -->");
        md.line("");
        md.line("Every random value is fixed here so that the example can be reproduced; a real node and client draw "
                + "them fresh. Hex is lower case; a long value continues, indented, on the next lines (32 bytes a line). "
                + "Strings are shown as JSON strings.");

        md.heading("10.1 Fixed inputs");
        md.line("`ikmR` and `ikmE` are RFC 9180 `DeriveKeyPair` inputs for the node's HPKE key and the client's "
                + "ephemeral key; `signing_seed` is the node's Ed25519 private key (RFC 8032 seed).");
        md.block(
                row("ikmR", IKM_R),
                row("ikmE", IKM_E),
                row("signing_seed", SIGNING_SEED),
                row("att_nonce", ATTESTATION_NONCE),
                row("response_nonce", RESPONSE_NONCE),
                row("software", quote(SOFTWARE)),
                row("created", Long.toString(CREATED)));

        md.heading("10.2 Node keys (§2)");
        md.line("`skR` as `DeriveKeyPair` outputs it (X25519 clamps it when it is used).");
        md.block(
                row("skR", skR),
                row("pkR", pkR),
                row("key_id", new byte[] {KEY_ID}),
                row("key_config", keyConfig.encoded()),
                row("node_key_id", keyConfig.nodeKeyId()),
                row("signing_key", signingKey));

        md.heading("10.3 Attestation, `simulated` format (§3)");
        md.line("`binding` is the input of the SHA-256 in `report_data`; `evidence` is "
                + "`\"VEILSIM1\" || measurement || report_data || signature`.");
        md.block(
                row("measurement", measurement),
                row("binding", binding),
                row("report_data", reportData),
                row("evidence", raw));
        md.line("The node's answer to `GET /v1/attestation?nonce=" + hex(ATTESTATION_NONCE) + "`:");
        md.code("json", new String(evidence.toJson(), StandardCharsets.UTF_8));

        md.heading("10.4 Request (§4)");
        md.line("The client's request to the gateway (the `Authorization` header aside); its body is `body` below.");
        md.code("http", "POST " + PATH + "\n"
                + "Content-Type: " + E2ee.CONTENT_TYPE + "\n"
                + E2ee.HEADER_VERSION + ": " + E2ee.VERSION + "\n"
                + E2ee.HEADER_MODEL + ": " + MODEL + "\n"
                + E2ee.HEADER_NODE_KEY + ": " + keyConfig.nodeKeyId() + "\n"
                + E2ee.HEADER_STREAM + ": " + STREAM);
        md.line("The plaintext body, then the HPKE values (`shared_secret` … `exporter_secret` are RFC 9180's "
                + "intermediate values, for checking an implementation step by step):");
        md.block(
                row("plaintext", quote(REQUEST)),
                row("hdr", hdr),
                row("info", info),
                row("skE", ctx.skE()),
                row("enc", ctx.enc()),
                row("shared_secret", ctx.sharedSecret()),
                row("key", ctx.key()),
                row("base_nonce", ctx.baseNonce()),
                row("exporter_secret", ctx.exporterSecret()),
                row("ct", ct),
                row("body", body),
                row("request_sha256", opened.requestHash()));

        md.heading("10.5 Response keys (§5)");
        md.block(
                row("secret", rk.secret()),
                row("response_nonce", RESPONSE_NONCE),
                row("salt", rk.salt()),
                row("prk", rk.prk()),
                row("key", rk.key()),
                row("nonce_base", rk.nonceBase()));

        md.heading("10.6 Response frames (§5)");
        for (int i = 0; i < frames.size(); i++) {
            int flags = i == frames.size() - 1 ? E2ee.FLAG_FINAL : 0;
            md.line("Frame " + i + (i == 0 ? ", the head:" : flags == E2ee.FLAG_FINAL ? ", the final frame:" : ", an SSE event:"));
            md.block(
                    row("chunk_" + i, quote(new String(chunks.get(i), StandardCharsets.UTF_8))),
                    row("flags", new byte[] {(byte) flags}),
                    row("nonce_" + i, rk.nonce(i)),
                    row("aad_" + i, ReferenceE2ee.ResponseKeys.aad(i, flags)),
                    row("frame_" + i, frames.get(i)));
        }
        md.line("`response_sha256` = SHA-256(`response_nonce` || `frame_0` || … || `frame_" + (frames.size() - 1)
                + "`) = `" + hex(responseHash) + "`. The receipt, its signature by `signing_key`, and the receipt "
                + "frame (flags `0x02`, clear):");
        md.code("json", new String(signed.payload(), StandardCharsets.UTF_8));
        byte[] framePayload = signed.toFramePayload();
        md.block(
                row("signature", signed.signature()),
                row("receipt_header", Arrays.copyOf(receiptFrame, 5)));
        md.line("`receipt_frame` = `receipt_header` || the payload (" + framePayload.length + " bytes):");
        md.code("json", new String(framePayload, StandardCharsets.UTF_8));

        md.heading("10.7 The whole response body");
        md.block(row("response", response));
        return md.toString();
    }

    // -------------------------------------------------------------------- rendering

    private static String[] row(String name, byte[] value) {
        return new String[] {name, hex(value)};
    }

    private static String[] row(String name, String value) {
        return new String[] {name, value};
    }

    private static final class Md {
        private final StringBuilder b = new StringBuilder();

        /** A paragraph line, wrapped at 118 columns like the rest of the page. */
        void line(String text) {
            int column = 0;
            for (String word : text.split(" ")) {
                if (column > 0 && column + 1 + word.length() > 118) {
                    b.append('\n');
                    column = 0;
                } else if (column > 0) {
                    b.append(' ');
                    column++;
                }
                b.append(word);
                column += word.length();
            }
            b.append('\n');
        }

        void heading(String title) {
            b.append("\n### ").append(title).append("\n\n");
        }

        void code(String lang, String text) {
            b.append("\n```").append(lang).append('\n').append(text).append("\n```\n\n");
        }

        void block(String[]... rows) {
            b.append("\n```text\n");
            for (String[] r : rows) {
                String name = r[0];
                String value = r[1];
                boolean isHex = value.matches("[0-9a-f]+") && value.length() > 64;
                b.append(name).append(" ".repeat(Math.max(1, NAME_WIDTH - name.length())));
                if (isHex) {
                    for (int at = 0; at < value.length(); at += 64) {
                        if (at > 0) {
                            b.append(" ".repeat(NAME_WIDTH));
                        }
                        b.append(value, at, Math.min(value.length(), at + 64)).append('\n');
                    }
                } else {
                    b.append(value).append('\n');
                }
            }
            b.append("```\n\n");
        }

        @Override
        public String toString() {
            return b.toString().replaceAll("\n{3,}", "\n\n").strip() + "\n";
        }
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                default -> q.append(c);
            }
        }
        return q.append('"').toString();
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    private static byte[] counting(int from) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }
}
