package dev.veil.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.GpuBinding;
import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.attestation.HardwareVerifiers;
import dev.veil.protocol.attestation.Verdict;
import dev.veil.protocol.attestation.dstack.DstackAttestation;
import dev.veil.protocol.attestation.dstack.DstackFormatException;
import dev.veil.protocol.attestation.dstack.DstackPolicy;
import dev.veil.protocol.attestation.dstack.DstackReport;
import dev.veil.protocol.attestation.dstack.DstackVerifier;
import dev.veil.protocol.attestation.nvidia.GpuArchitecture;
import dev.veil.protocol.attestation.nvidia.GpuCollateral;
import dev.veil.protocol.attestation.nvidia.GpuEvidence;
import dev.veil.protocol.attestation.nvidia.GpuEvidenceList;
import dev.veil.protocol.attestation.nvidia.GpuPolicy;
import dev.veil.protocol.attestation.nvidia.GpuVerifier;
import dev.veil.protocol.attestation.snp.SnpPolicy;
import dev.veil.protocol.attestation.snp.SnpVerifier;
import dev.veil.protocol.attestation.tdx.TcbStatus;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import dev.veil.protocol.attestation.tdx.TdxPolicy;
import dev.veil.protocol.attestation.tdx.TdxVerifier;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil attest verify <file>}: verifies an AMD SEV-SNP report, an Intel TDX quote or an NVIDIA GPU attestation
 * report (Hopper, Blackwell) and prints each check,
 * passed or failed, and why. Exit status 0 only when every check passed; 1 when the evidence was refused; 2 for a
 * usage problem.
 */
@Command(name = "attest", mixinStandardHelpOptions = true, description = "Verify hardware attestation evidence.",
        subcommands = AttestCommand.Verify.class)
final class AttestCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: veil attest verify <file> [options] (see veil attest verify --help)");
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify a SEV-SNP report, TDX quote or NVIDIA GPU report; print every check and the verdict.")
    static final class Verify implements Callable<Integer> {

        private static final Set<String> POLICY_FIELDS = Set.of("allow_debug", "allowed_measurements", "report_data",
                "max_vmpl", "rtmr", "accepted_tcb_statuses", "collateral_optional", "allowed_gpu_architectures",
                "require_rims", "accept_unchecked_revocation", "min_gpus", "min_driver_version", "min_vbios_version",
                "allowed_compose_hashes");

        @Parameters(index = "0", paramLabel = "<file>", description = "The report or quote (binary, or hex text).")
        Path file;

        @Option(names = "--format", description = "sev-snp, tdx, nvidia-gpu, node: a Veil node's whole evidence (CPU"
                + " report and every GPU report, as its /v1/attestation serves it), or dstack: a hosted provider's"
                + " attestation report (TDX quote, event log, nvidia_payload, signing address) (default: recognised"
                + " from the file).")
        String format;

        @Option(names = "--allow-simulated", description = "node: accept simulated CPU or GPU evidence (development only:"
                + " it proves nothing).")
        boolean allowSimulated;

        @Option(names = "--certs", paramLabel = "<file>",
                description = "SEV-SNP: the VCEK (or VLEK) and optionally ASK/ARK, PEM or DER; repeatable. AMD roots are pinned."
                        + " NVIDIA GPU: the device certificate chain (PEM, leaf first), once.")
        List<Path> certs = new ArrayList<>();

        @Option(names = "--gpu-collateral", paramLabel = "<dir>",
                description = "NVIDIA GPU: NVIDIA's driver and VBIOS RIMs (*.xml, *.swidtag) and OCSP responses (*.ocsp,"
                        + " *.der, or ocsp/*).")
        Path gpuCollateral;

        @Option(names = "--nonce", paramLabel = "<hex>",
                description = "NVIDIA GPU, node, dstack: the 32-byte nonce (64 hex characters) the evidence must answer.")
        String nonce;

        @Option(names = "--collateral", paramLabel = "<dir>",
                description = "TDX: Intel collateral (tcb_info.json, tcb_info_issuer_chain.pem, qe_identity.json, "
                        + "pck_crl.der, root_ca_crl.der).")
        Path collateral;

        @Option(names = "--policy", paramLabel = "<file>", description = "YAML or JSON policy (see docs/attestation.md).")
        Path policyFile;

        @Option(names = "--at", paramLabel = "<time>", description = "Verify as of this instant (ISO-8601, default now).")
        String at;

        @Override
        public Integer call() {
            return run(System.out, System.err);
        }

        int run(PrintStream out, PrintStream err) {
            byte[] evidence;
            Instant when;
            JsonNode policy;
            try {
                evidence = readEvidence(file);
                when = at == null ? Instant.now() : Instant.parse(at);
                policy = readPolicy(policyFile);
            } catch (UsageException e) {
                err.println("veil: " + e.getMessage());
                return 2;
            } catch (DateTimeParseException e) {
                err.println("veil: --at must be an ISO-8601 instant, e.g. 2025-09-01T00:00:00Z");
                return 2;
            }
            String kind = format != null ? format : detect(evidence);
            if (NODE.equals(kind)) {
                return verifyNode(evidence, policy, when, out, err);
            }
            if (DstackVerifier.FORMAT.equals(kind)) {
                return verifyDstack(evidence, policy, when, out, err);
            }
            if (GpuVerifier.FORMAT.equals(kind) && GpuEvidenceList.looksLikeJson(evidence)) {
                return verifyGpuList(evidence, policy, when, out, err);
            }
            Verdict verdict;
            try {
                verdict = switch (kind) {
                    case "sev-snp" -> new SnpVerifier().verify(evidence, certificates(certs), snpPolicy(policy), when);
                    case "tdx" -> new TdxVerifier().verify(evidence, collateral == null ? null : TdxCollateral.load(collateral),
                            tdxPolicy(policy), when);
                    case GpuVerifier.FORMAT -> new GpuVerifier().verify(new GpuEvidence(evidence, gpuChain()), gpuNonce(),
                            gpuCollateral == null ? GpuCollateral.none() : GpuCollateral.load(gpuCollateral),
                            gpuPolicy(policy), when);
                    default -> throw new UsageException("cannot tell the evidence format; pass --format sev-snp, tdx,"
                            + " nvidia-gpu, node or dstack");
                };
            } catch (Exception e) { // a usage problem (UsageException) or unreadable collateral, both said plainly
                err.println("veil: " + e.getMessage());
                return 2;
            }
            print(out, kind, when, verdict);
            return verdict.passed() ? 0 : 1;
        }

        static final String NODE = "node";

        /**
         * A Veil node's whole evidence: the CPU report's checks, each GPU's checks (for the GPU nonce derived from
         * {@code --nonce}), then the node identity as the gateway, SDK and proxy verify it (keys and GPU set bound in
         * the CPU report, the nonce, the policy). Passes only when that last verdict passes.
         */
        private int verifyNode(byte[] json, JsonNode policy, Instant when, PrintStream out, PrintStream err) {
            Evidence evidence;
            AttestationVerifier verifier;
            AttestationPolicy nodePolicy;
            byte[] expected;
            GpuCollateral gpu;
            GpuPolicy gpuPolicy;
            try {
                evidence = Evidence.parse(json);
                expected = gpuNonce();
                if (expected == null) {
                    throw new UsageException("a node's evidence is verified for a nonce: pass the one it was asked for"
                            + " with --nonce <64 hex>");
                }
                gpu = gpuCollateral == null ? GpuCollateral.none() : GpuCollateral.load(gpuCollateral);
                gpuPolicy = gpuPolicy(policy);
                Clock at = Clock.fixed(when, ZoneOffset.UTC);
                verifier = new AttestationVerifier(HardwareVerifiers.create(snpPolicy(policy),
                        collateral == null ? null : TdxCollateral.load(collateral), tdxPolicy(policy), at),
                        HardwareVerifiers.nvidiaGpus(gpu, gpuPolicy, at));
                nodePolicy = new AttestationPolicy(Set.of(), strings(policy.path("allowed_measurements")),
                        allowSimulated, policy.path("min_gpus").asInt(0));
            } catch (AttestationException e) {
                err.println("veil: not a Veil node's evidence: " + e.getMessage());
                return 2;
            } catch (Exception e) { // a usage problem (UsageException) or unreadable collateral, both said plainly
                err.println("veil: " + e.getMessage());
                return 2;
            }
            out.println("Node " + evidence.nodeKeyId() + ": " + evidence.format() + " CPU evidence"
                    + (evidence.simulated() ? " (SIMULATED)" : "") + ", " + evidence.gpus().size() + " GPU report(s)");
            Verdict cpu;
            try {
                cpu = cpuVerdict(evidence, policy, when);
            } catch (RuntimeException e) {
                out.println("CPU: the report's checks could not be listed (" + e.getMessage() + ")");
                cpu = null;
            }
            if (cpu != null) {
                out.println("CPU:");
                print(out, evidence.format(), when, cpu);
            }
            byte[] gpuNonce = GpuBinding.gpuNonce(expected);
            for (int i = 0; i < evidence.gpus().size(); i++) {
                GpuReport report = evidence.gpus().get(i);
                out.println("GPU " + (i + 1) + " of " + evidence.gpus().size() + ": " + report.format()
                        + (report.simulated() ? " (SIMULATED: no GPU behind it)" : ""));
                if (GpuVerifier.FORMAT.equals(report.format())) {
                    print(out, GpuVerifier.FORMAT, when, new GpuVerifier().verify(new GpuEvidence(report.report(),
                            report.certificates(), report.architecture()), gpuNonce, gpu, gpuPolicy, when));
                }
            }
            out.println("Node identity (CPU and every GPU under nonce " + HexFormat.of().formatHex(expected) + "):");
            try {
                AttestationVerifier.VerifiedNode node = verifier.verify(evidence, expected, nodePolicy);
                out.println("  [ ok ] keys and GPU set bound in the CPU report data, nonce, every GPU verified ("
                        + node.gpus().size() + ")" + (node.simulated() ? "; SIMULATED evidence, proves nothing" : ""));
                out.println("VERDICT: PASSED (the node's whole identity verified)");
                return 0;
            } catch (AttestationException e) {
                out.println("  [FAIL] " + e.code() + ": " + e.getMessage());
                out.println("VERDICT: REFUSED (" + e.code() + ")");
                return 1;
            }
        }

        /**
         * A hosted provider's dstack-shape report: every attestation in it gets its verdict (TDX quote, report data
         * binding of the signing key and of {@code --nonce}, event log replay, every GPU for the same nonce); passes
         * only when every attestation passed.
         */
        private int verifyDstack(byte[] json, JsonNode policy, Instant when, PrintStream out, PrintStream err) {
            List<DstackAttestation> attestations;
            DstackVerifier verifier;
            DstackPolicy dstackPolicy;
            byte[] expected;
            try {
                attestations = DstackReport.parse(json);
                expected = gpuNonce();
                if (expected == null) {
                    throw new UsageException("a provider's report is verified for the nonce it was asked for: pass it"
                            + " with --nonce <64 hex>");
                }
                verifier = new DstackVerifier(collateral == null ? null : TdxCollateral.load(collateral),
                        new GpuVerifier(), gpuCollateral == null ? GpuCollateral.none() : GpuCollateral.load(gpuCollateral));
                dstackPolicy = new DstackPolicy(tdxPolicy(policy), gpuPolicy(policy), policy.path("min_gpus").asInt(1),
                        strings(policy.path("allowed_compose_hashes")));
            } catch (DstackFormatException e) {
                err.println("veil: not a dstack-shape attestation report: " + e.getMessage());
                return 2;
            } catch (Exception e) { // a usage problem (UsageException) or unreadable collateral, both said plainly
                err.println("veil: " + e.getMessage());
                return 2;
            }
            boolean all = true;
            for (int i = 0; i < attestations.size(); i++) {
                DstackAttestation a = attestations.get(i);
                out.println("Attestation " + (i + 1) + " of " + attestations.size()
                        + (a.modelName() == null ? "" : ", model " + a.modelName()) + ", " + a.signingAlgo()
                        + " signing address " + HexFormat.of().formatHex(a.signingAddress()) + ":");
                Verdict v = verifier.verify(a, expected, dstackPolicy, when);
                print(out, DstackVerifier.FORMAT, when, v);
                all &= v.passed();
            }
            out.println(all ? "ALL " + attestations.size() + " attestation(s) PASSED"
                    : "REFUSED: not every attestation passed");
            return all ? 0 : 1;
        }

        /** The CPU report's own checks, for listing; null for simulated evidence (nothing hardware to list). */
        private Verdict cpuVerdict(Evidence evidence, JsonNode policy, Instant when) {
            return switch (evidence.format()) {
                case "sev-snp" -> new SnpVerifier().verify(evidence.raw(),
                        dev.veil.protocol.attestation.snp.SnpCertificateTable.parse(evidence.certificates()),
                        snpPolicy(policy), when);
                case "tdx" -> {
                    try {
                        yield new TdxVerifier().verify(evidence.raw(), collateral == null ? null
                                : TdxCollateral.load(collateral), tdxPolicy(policy), when);
                    } catch (Exception e) {
                        throw new IllegalArgumentException("TDX collateral: " + e.getMessage());
                    }
                }
                default -> null; // simulated: nothing hardware to list; the node verdict below says whether it passes
            };
        }

        /** NVIDIA's serialised evidence JSON: one verdict per GPU; passes only when every GPU passed. */
        private int verifyGpuList(byte[] json, JsonNode policy, Instant when, PrintStream out, PrintStream err) {
            List<GpuEvidenceList.Entry> entries;
            GpuCollateral gpu;
            GpuPolicy gpuPolicy;
            byte[] expected;
            try {
                entries = GpuEvidenceList.parse(json);
                gpu = gpuCollateral == null ? GpuCollateral.none() : GpuCollateral.load(gpuCollateral);
                gpuPolicy = gpuPolicy(policy);
                expected = gpuNonce();
            } catch (Exception e) { // a usage problem (UsageException) or unreadable collateral, both said plainly
                err.println("veil: " + e.getMessage());
                return 2;
            }
            boolean all = true;
            for (int i = 0; i < entries.size(); i++) {
                Verdict v = new GpuVerifier().verify(entries.get(i).evidence(), expected, gpu, gpuPolicy, when);
                out.println("GPU " + (i + 1) + " of " + entries.size() + ":");
                print(out, GpuVerifier.FORMAT, when, v);
                all &= v.passed();
            }
            out.println(all ? "ALL " + entries.size() + " GPUs PASSED" : "REFUSED: not every GPU passed");
            return all ? 0 : 1;
        }

        private static void print(PrintStream out, String kind, Instant when, Verdict verdict) {
            out.println("Evidence: " + kind + ", verified as of " + when);
            for (Check check : verdict.checks()) {
                out.println("  [" + (check.passed() ? " ok " : "FAIL") + "] " + check.name() + ": " + check.detail());
            }
            if (verdict.measurement() != null) {
                out.println("  measurement: " + verdict.measurement());
            }
            if (verdict.reportData() != null) {
                out.println("  report data: " + HexFormat.of().formatHex(verdict.reportData()));
            }
            out.println(verdict.passed() ? "VERDICT: PASSED (every check passed)"
                    : "VERDICT: REFUSED (" + verdict.firstFailure().name() + ")");
        }

        static String detect(byte[] evidence) {
            if (GpuEvidenceList.looksLikeJson(evidence)
                    && new String(evidence, StandardCharsets.UTF_8).contains("\"node_key_id\"")) {
                return NODE; // a Veil node's evidence (NVIDIA's GPU evidence JSON has no node key)
            }
            if (GpuEvidenceList.looksLikeJson(evidence) && DstackReport.looksLikeDstack(evidence)) {
                return DstackVerifier.FORMAT; // a hosted provider's report: its TDX quote is "intel_quote"
            }
            if (evidence.length == 0x4A0) {
                int version = evidence[0] & 0xff;
                if (version >= 2 && version <= 5) {
                    return "sev-snp";
                }
            }
            if (evidence.length > 8 && (evidence[0] == 4 || evidence[0] == 5) && evidence[1] == 0 && (evidence[4] & 0xff) == 0x81) {
                return "tdx";
            }
            if (evidence.length > 2 && evidence[0] == 0x11 && (evidence[1] & 0xff) == 0xE0) {
                return GpuVerifier.FORMAT; // SPDM 1.1 GET_MEASUREMENTS, as NVIDIA GPUs' reports begin
            }
            if (GpuEvidenceList.looksLikeJson(evidence)) {
                return GpuVerifier.FORMAT; // NVIDIA's serialised GPU evidence, the only JSON evidence read here
            }
            return "unknown";
        }

        private static byte[] readEvidence(Path file) throws UsageException {
            try {
                byte[] bytes = Files.readAllBytes(file);
                String text = new String(bytes, StandardCharsets.US_ASCII).strip();
                if (!text.isEmpty() && text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || Character.isWhitespace(c))) {
                    return HexFormat.of().parseHex(text.replaceAll("\\s", ""));
                }
                return bytes;
            } catch (Exception e) {
                throw new UsageException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
            }
        }

        private static List<X509Certificate> certificates(List<Path> files) throws UsageException {
            List<X509Certificate> out = new ArrayList<>();
            for (Path f : files) {
                try {
                    CertificateFactory factory = CertificateFactory.getInstance("X.509");
                    for (var c : factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(f)))) {
                        out.add((X509Certificate) c);
                    }
                } catch (Exception e) {
                    throw new UsageException("--certs " + f + " is not a PEM or DER certificate");
                }
            }
            return out;
        }

        private byte[] gpuChain() throws UsageException {
            if (certs.size() != 1) {
                throw new UsageException("NVIDIA GPU evidence needs its device certificate chain: --certs <chain.pem>"
                        + " (once)");
            }
            try {
                return Files.readAllBytes(certs.getFirst());
            } catch (Exception e) {
                throw new UsageException("cannot read " + certs.getFirst() + " (" + e.getClass().getSimpleName() + ")");
            }
        }

        private byte[] gpuNonce() throws UsageException {
            if (nonce == null) {
                return null; // the nonce check then fails and says why
            }
            try {
                byte[] n = HexFormat.of().parseHex(nonce.strip());
                if (n.length != 32) {
                    throw new IllegalArgumentException();
                }
                return n;
            } catch (IllegalArgumentException e) {
                throw new UsageException("--nonce must be 64 hex characters (32 bytes)");
            }
        }

        private static GpuPolicy gpuPolicy(JsonNode p) throws UsageException {
            GpuPolicy policy = GpuPolicy.DEFAULT.withRimsRequired(p.path("require_rims").asBoolean(true))
                    .withUncheckedRevocationAccepted(p.path("accept_unchecked_revocation").asBoolean(false));
            Set<GpuArchitecture> archs = EnumSet.noneOf(GpuArchitecture.class);
            for (String a : strings(p.path("allowed_gpu_architectures"))) {
                try {
                    archs.add(GpuArchitecture.parse(a));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--policy: allowed_gpu_architectures: " + e.getMessage());
                }
            }
            GpuPolicy narrowed = archs.isEmpty() ? policy : new GpuPolicy(archs, policy.requireRims(),
                    policy.acceptUncheckedRevocation(), policy.ocspMaxAge());
            try {
                return narrowed.withMinimumVersions(p.hasNonNull("min_driver_version") ? p.path("min_driver_version").asText()
                        : null, p.hasNonNull("min_vbios_version") ? p.path("min_vbios_version").asText() : null);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--policy: " + e.getMessage());
            }
        }

        private static JsonNode readPolicy(Path file) throws UsageException {
            if (file == null) {
                return new ObjectMapper().createObjectNode();
            }
            try {
                JsonNode node = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
                if (node == null || !node.isObject()) {
                    throw new UsageException("--policy " + file + " must be a mapping");
                }
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    String name = it.next();
                    if (!POLICY_FIELDS.contains(name)) {
                        throw new UsageException("--policy: unknown field '" + name + "'; known fields are " + POLICY_FIELDS);
                    }
                }
                return node;
            } catch (UsageException e) {
                throw e;
            } catch (Exception e) {
                throw new UsageException("--policy " + file + " is not valid YAML or JSON");
            }
        }

        private static SnpPolicy snpPolicy(JsonNode p) {
            SnpPolicy policy = p.path("allow_debug").asBoolean(false) ? SnpPolicy.defaults().allowingDebug() : SnpPolicy.defaults();
            Set<String> measurements = strings(p.path("allowed_measurements"));
            if (!measurements.isEmpty()) {
                policy = policy.withAllowedMeasurements(measurements);
            }
            if (p.has("max_vmpl")) {
                policy = policy.withMaxVmpl(p.path("max_vmpl").asInt()).withRequiredVmpl(-1);
            }
            if (p.hasNonNull("report_data")) {
                policy = policy.withReportData(HexFormat.of().parseHex(p.path("report_data").asText()));
            }
            return policy;
        }

        private static TdxPolicy tdxPolicy(JsonNode p) throws UsageException {
            TdxPolicy policy = TdxPolicy.DEFAULT.withDebugAllowed(p.path("allow_debug").asBoolean(false))
                    .withCollateralOptional(p.path("collateral_optional").asBoolean(false));
            Set<String> measurements = strings(p.path("allowed_measurements"));
            if (!measurements.isEmpty()) {
                policy = policy.withAllowedMrTd(measurements.toArray(String[]::new));
            }
            if (p.hasNonNull("report_data")) {
                policy = policy.withReportData(HexFormat.of().parseHex(p.path("report_data").asText()));
            }
            Map<Integer, String> rtmrs = new HashMap<>();
            p.path("rtmr").fields().forEachRemaining(e -> rtmrs.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
            for (Map.Entry<Integer, String> e : rtmrs.entrySet()) {
                policy = policy.withRtmr(e.getKey(), e.getValue());
            }
            List<TcbStatus> statuses = new ArrayList<>();
            for (String s : strings(p.path("accepted_tcb_statuses"))) {
                try {
                    statuses.add(TcbStatus.ofIntelName(s));
                } catch (Exception e) {
                    throw new UsageException("--policy: accepted_tcb_statuses: unknown status '" + s + "'");
                }
            }
            if (!statuses.isEmpty()) {
                policy = policy.withAcceptedTcbStatuses(statuses.get(0), statuses.subList(1, statuses.size()).toArray(TcbStatus[]::new));
            }
            return policy;
        }

        private static Set<String> strings(JsonNode array) {
            Set<String> out = new HashSet<>();
            array.forEach(n -> out.add(n.asText()));
            return out;
        }
    }

    /** A problem with the command line, not with the evidence. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message, null, false, false);
        }
    }
}
