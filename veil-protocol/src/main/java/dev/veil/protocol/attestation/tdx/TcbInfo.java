package dev.veil.protocol.attestation.tdx;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Intel PCS TDX TCB info ({@code GET /tdx/certification/v4/tcb?fmspc=...}, body
 * {@code {"tcbInfo": {...}, "signature": "<hex>"}}): the TCB levels of one FMSPC, signed by the Intel SGX TCB Signing
 * certificate.
 *
 * @param id                      {@code TDX}
 * @param version                 3 for TDX
 * @param fmspc                   lower-case hex
 * @param pceId                   lower-case hex
 * @param tdxModule               expected MRSIGNERSEAM/SEAMATTRIBUTES of TDX 1.0 modules (null if absent)
 * @param tdxModuleIdentities     per TDX module version ({@code TDX_01}, {@code TDX_03} ...), empty if absent
 * @param tcbLevels               platform TCB levels, in Intel's (descending) order
 * @param signedBody              the exact bytes of the {@code tcbInfo} member, which the signature covers
 * @param signature               ECDSA P-256 r||s
 */
public record TcbInfo(String id, int version, Instant issueDate, Instant nextUpdate, String fmspc, String pceId,
                      int tcbEvaluationDataNumber, TdxModule tdxModule, List<TdxModuleIdentity> tdxModuleIdentities,
                      List<TcbLevel> tcbLevels, byte[] signedBody, byte[] signature) {

    /** Expected TDX module signer and attributes (hex; attributes compared under the mask). */
    public record TdxModule(String mrSigner, String attributes, String attributesMask) {
    }

    /** A TDX module version's identity ({@code id} is {@code TDX_<version as 2 hex digits>}) and its TCB levels. */
    public record TdxModuleIdentity(String id, TdxModule module, List<ModuleTcbLevel> tcbLevels) {
        public TdxModuleIdentity {
            tcbLevels = List.copyOf(tcbLevels);
        }
    }

    /** A TDX module TCB level, matched by TEE_TCB_SVN[0] ≥ {@code isvSvn}. */
    public record ModuleTcbLevel(int isvSvn, String tcbDate, TcbStatus status, List<String> advisoryIds) {
        public ModuleTcbLevel {
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    /** A platform TCB level: 16 SGX component SVNs, PCE SVN, 16 TDX component SVNs, and its status. */
    public record TcbLevel(List<Integer> sgxComponents, int pceSvn, List<Integer> tdxComponents, String tcbDate,
                           TcbStatus status, List<String> advisoryIds) {
        public TcbLevel {
            sgxComponents = List.copyOf(sgxComponents);
            tdxComponents = List.copyOf(tdxComponents);
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    public TcbInfo {
        tdxModuleIdentities = List.copyOf(tdxModuleIdentities);
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

    /** Parses a PCS TCB info response body. */
    public static TcbInfo parse(byte[] response) throws TdxFormatException {
        Json.Signed signed = Json.signed(response, "tcbInfo", "TCB info");
        Map<String, Object> t = signed.value();
        String ctx = "tcbInfo";
        TdxModule module = t.containsKey("tdxModule") ? module(Json.object(t, "tdxModule", ctx), ctx + ".tdxModule")
                : null;
        List<TdxModuleIdentity> identities = new ArrayList<>();
        if (t.containsKey("tdxModuleIdentities")) {
            for (Map<String, Object> m : Json.objects(t, "tdxModuleIdentities", ctx)) {
                String mctx = ctx + ".tdxModuleIdentities";
                List<ModuleTcbLevel> levels = new ArrayList<>();
                for (Map<String, Object> l : Json.objects(m, "tcbLevels", mctx)) {
                    levels.add(new ModuleTcbLevel(Json.integer(Json.object(l, "tcb", mctx), "isvsvn", mctx + ".tcb"),
                            Json.optionalString(l, "tcbDate", mctx), status(l, mctx),
                            Json.strings(l, "advisoryIDs", mctx)));
                }
                identities.add(new TdxModuleIdentity(Json.string(m, "id", mctx), module(m, mctx), levels));
            }
        }
        List<TcbLevel> levels = new ArrayList<>();
        for (Map<String, Object> l : Json.objects(t, "tcbLevels", ctx)) {
            String lctx = ctx + ".tcbLevels";
            Map<String, Object> tcb = Json.object(l, "tcb", lctx);
            levels.add(new TcbLevel(svns(tcb, "sgxtcbcomponents", lctx), Json.integer(tcb, "pcesvn", lctx + ".tcb"),
                    svns(tcb, "tdxtcbcomponents", lctx), Json.optionalString(l, "tcbDate", lctx), status(l, lctx),
                    Json.strings(l, "advisoryIDs", lctx)));
        }
        return new TcbInfo(Json.string(t, "id", ctx), Json.integer(t, "version", ctx), Json.instant(t, "issueDate", ctx),
                Json.instant(t, "nextUpdate", ctx), Json.hex(t, "fmspc", 6, ctx), Json.hex(t, "pceId", 2, ctx),
                Json.integer(t, "tcbEvaluationDataNumber", ctx), module, identities, levels, signed.body(),
                signed.signature());
    }

    private static TdxModule module(Map<String, Object> m, String ctx) throws TdxFormatException {
        return new TdxModule(Json.hex(m, "mrsigner", 48, ctx), Json.hex(m, "attributes", 8, ctx),
                Json.hex(m, "attributesMask", 8, ctx));
    }

    private static TcbStatus status(Map<String, Object> level, String ctx) throws TdxFormatException {
        return TcbStatus.ofIntelName(Json.string(level, "tcbStatus", ctx));
    }

    private static List<Integer> svns(Map<String, Object> tcb, String key, String ctx) throws TdxFormatException {
        List<Map<String, Object>> comps = Json.objects(tcb, key, ctx + ".tcb");
        if (comps.size() != 16) {
            throw new TdxFormatException(ctx + ".tcb." + key, "expected 16 components, got " + comps.size());
        }
        List<Integer> out = new ArrayList<>(16);
        for (Map<String, Object> c : comps) {
            out.add(Json.integer(c, "svn", ctx + ".tcb." + key));
        }
        return out;
    }
}
