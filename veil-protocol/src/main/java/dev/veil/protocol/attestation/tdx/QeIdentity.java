package dev.veil.protocol.attestation.tdx;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Intel PCS TDX QE identity ({@code GET /tdx/certification/v4/qe/identity}, body
 * {@code {"enclaveIdentity": {...}, "signature": "<hex>"}}): which Quoting Enclave may sign TD quotes, and the TCB
 * status of each of its ISVSVNs. Signed by the Intel SGX TCB Signing certificate.
 *
 * @param id        {@code TD_QE}
 * @param version   2
 * @param tcbLevels QE TCB levels, in Intel's (descending ISVSVN) order
 */
public record QeIdentity(String id, int version, Instant issueDate, Instant nextUpdate, int tcbEvaluationDataNumber,
                         String miscSelect, String miscSelectMask, String attributes, String attributesMask,
                         String mrSigner, int isvProdId, List<Level> tcbLevels, byte[] signedBody, byte[] signature) {

    /** A QE TCB level, matched by the QE report's ISVSVN ≥ {@code isvSvn}. */
    public record Level(int isvSvn, String tcbDate, TcbStatus status, List<String> advisoryIds) {
        public Level {
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    public QeIdentity {
        tcbLevels = List.copyOf(tcbLevels);
        signedBody = signedBody.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] signedBody() {
        return signedBody.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** Parses a PCS QE identity response body. */
    public static QeIdentity parse(byte[] response) throws TdxFormatException {
        Json.Signed signed = Json.signed(response, "enclaveIdentity", "QE identity");
        Map<String, Object> e = signed.value();
        String ctx = "enclaveIdentity";
        List<Level> levels = new ArrayList<>();
        for (Map<String, Object> l : Json.objects(e, "tcbLevels", ctx)) {
            String lctx = ctx + ".tcbLevels";
            levels.add(new Level(Json.integer(Json.object(l, "tcb", lctx), "isvsvn", lctx + ".tcb"),
                    Json.optionalString(l, "tcbDate", lctx),
                    TcbStatus.ofIntelName(Json.string(l, "tcbStatus", lctx)), Json.strings(l, "advisoryIDs", lctx)));
        }
        return new QeIdentity(Json.string(e, "id", ctx), Json.integer(e, "version", ctx),
                Json.instant(e, "issueDate", ctx), Json.instant(e, "nextUpdate", ctx),
                Json.integer(e, "tcbEvaluationDataNumber", ctx), Json.hex(e, "miscselect", 4, ctx),
                Json.hex(e, "miscselectMask", 4, ctx), Json.hex(e, "attributes", 16, ctx),
                Json.hex(e, "attributesMask", 16, ctx), Json.hex(e, "mrsigner", 32, ctx),
                Json.integer(e, "isvprodid", ctx), levels, signed.body(), signed.signature());
    }
}
