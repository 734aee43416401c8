package dev.veil.gateway.providers;

import dev.veil.gateway.config.ProviderAttestationConfig;
import dev.veil.gateway.nodes.NodeAdmission;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.TeeKind;
import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import dev.veil.protocol.attestation.dstack.DstackAttestation;
import dev.veil.protocol.attestation.dstack.DstackFormatException;
import dev.veil.protocol.attestation.dstack.DstackPolicy;
import dev.veil.protocol.attestation.dstack.DstackReport;
import dev.veil.protocol.attestation.dstack.DstackVerifier;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TEE claims of hosted providers, verified rather than declared. For every upstream with
 * {@code attestation: {kind: dstack, ...}} the gateway fetches the provider's attestation report with its own fresh
 * nonce, verifies it off the event loop ({@link DstackVerifier}: TDX quote, report data binding of the signing key and
 * the nonce, event log replay, every GPU), and re-verifies it on the schedule. The upstream's routes keep their
 * declared {@code tee} only while the last verification passed; otherwise they are served as if they declared no TEE
 * ({@code on_failure: downgrade}, so a request that needs {@code tee} never reaches them) or not at all
 * ({@code exclude}). Until the first verification passes they count as failed. Fetches are bounded (timeout, size cap)
 * and one at a time per upstream.
 *
 * <p>It answers the planner's admission questions for nodes by delegating to the node registry it wraps.
 */
public final class ProviderAttestations implements NodeAdmission, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderAttestations.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One attested upstream: where its report is and what it must show. */
    public record Target(Upstream upstream, ProviderAttestationConfig config, URI reportUrl, DstackPolicy policy) {
    }

    /**
     * The state of one upstream's TEE claim.
     *
     * @param verified whether the last verification passed
     * @param at       when it was made, or null before the first
     * @param reason   why it failed (a check name and detail, a fetch problem; never report content beyond that)
     */
    public record Status(boolean verified, Instant at, String reason) {
    }

    private final Vertx vertx;
    private final HttpClient http;
    private final Map<String, Target> targets;
    private final DstackVerifier verifier;
    private final Supplier<byte[]> nonces;
    private final Clock clock;
    private final NodeAdmission nodes;
    private final ConcurrentHashMap<String, Status> status = new ConcurrentHashMap<>();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final List<Long> timers = new ArrayList<>();

    /**
     * @param nonces where each fetch's nonce comes from: 32 random bytes in production ({@link #randomNonces()});
     *               tests that serve a recorded report give its nonce
     * @param clock  the verification time (certificates, collateral)
     * @param nodes  the node registry answering for node routes
     */
    public ProviderAttestations(Vertx vertx, List<Target> targets, DstackVerifier verifier, Supplier<byte[]> nonces,
                                Clock clock, NodeAdmission nodes) {
        this.vertx = vertx;
        this.targets = new ConcurrentHashMap<>();
        for (Target t : targets) {
            this.targets.put(t.upstream().name(), t);
            status.put(t.upstream().name(), new Status(false, null, "not verified yet"));
        }
        this.verifier = verifier;
        this.nonces = nonces;
        this.clock = clock;
        this.nodes = nodes;
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)
                .setVerifyHost(true));
    }

    /** 32 bytes from a {@link SecureRandom} per fetch. */
    public static Supplier<byte[]> randomNonces() {
        return () -> {
            byte[] nonce = new byte[32];
            RANDOM.nextBytes(nonce);
            return nonce;
        };
    }

    /** Verifies every provider now and then each on its schedule; completes when the first round is done. */
    public Future<Void> start() {
        for (Target t : targets.values()) {
            timers.add(vertx.setPeriodic(t.config().intervalMs(), id -> attest(t.upstream().name())));
        }
        return attestAll();
    }

    /** One round over every provider; never fails (a failed verification is a state, not an error). */
    public Future<Void> attestAll() {
        List<Future<Status>> rounds = new ArrayList<>();
        for (String name : targets.keySet()) {
            rounds.add(attest(name));
        }
        return Future.join(rounds).otherwiseEmpty().mapEmpty();
    }

    /** The current state of an upstream's TEE claim, or null for an upstream without attestation. */
    public Status status(String upstreamName) {
        return targets.containsKey(upstreamName) ? status.get(upstreamName) : null;
    }

    /** Fetches and verifies one provider's report; the returned status is also the new state. */
    Future<Status> attest(String name) {
        Target t = targets.get(name);
        if (t == null || !inFlight.add(name)) {
            return Future.succeededFuture(status.get(name));
        }
        byte[] nonce = nonces.get();
        return fetch(t, nonce)
                .compose(body -> vertx.executeBlocking(() -> verify(t, body, nonce), false))
                .otherwise(failure -> new Status(false, clock.instant(), "report not fetched: " + describe(failure)))
                .map(s -> {
                    Status before = status.put(name, s);
                    inFlight.remove(name);
                    if (before == null || before.verified() != s.verified() || !s.verified()) {
                        if (s.verified()) {
                            LOG.info("provider attestation of upstream '{}' verified: its routes keep their TEE claim",
                                    name);
                        } else {
                            LOG.warn("provider attestation of upstream '{}' failed ({}): its routes are {}", name,
                                    s.reason(), t.config().excludeOnFailure() ? "out" : "served without their TEE claim");
                        }
                    }
                    return s;
                });
    }

    private Status verify(Target t, Buffer body, byte[] nonce) {
        List<DstackAttestation> attestations;
        try {
            attestations = DstackReport.parse(body.getBytes());
        } catch (DstackFormatException e) {
            return new Status(false, clock.instant(), "report not readable: " + e.getMessage());
        }
        Instant at = clock.instant();
        for (int i = 0; i < attestations.size(); i++) {
            Verdict v = verifier.verify(attestations.get(i), nonce, t.policy(), at);
            if (!v.passed()) {
                Check failed = v.firstFailure();
                return new Status(false, at, "attestation " + (i + 1) + " of " + attestations.size() + " refused at '"
                        + failed.name() + "'");
            }
        }
        return new Status(true, at, attestations.size() + " attestation(s) verified");
    }

    /** GET {@code url?model=&nonce=&signing_algo=}, bounded by the timeout and the size cap. */
    private Future<Buffer> fetch(Target t, byte[] nonce) {
        URI url = t.reportUrl();
        boolean ssl = "https".equalsIgnoreCase(url.getScheme());
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + "?model=" + URLEncoder.encode(t.config().model(), StandardCharsets.UTF_8)
                + "&nonce=" + HexFormat.of().formatHex(nonce) + "&signing_algo=" + t.config().signingAlgo();
        long timeout = t.config().timeoutMs();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost())
                .setPort(url.getPort() > 0 ? url.getPort() : (ssl ? 443 : 80)).setSsl(ssl).setURI(path)
                .setConnectTimeout(timeout).setIdleTimeout(timeout).putHeader("accept", "application/json");
        // The upstream's credential goes only to the upstream's own origin (scheme, host and port).
        URI base = t.upstream().baseUrl();
        if (url.getHost().equalsIgnoreCase(base.getHost()) && ssl == t.upstream().ssl()
                && (url.getPort() > 0 ? url.getPort() : (ssl ? 443 : 80)) == t.upstream().port()) {
            t.upstream().bearerToken().ifPresent(token -> options.putHeader("authorization", "Bearer " + token));
        }
        Promise<Buffer> result = Promise.promise();
        long max = t.config().maxBytes();
        HttpClientRequest[] sent = new HttpClientRequest[1];
        long timer = vertx.setTimer(timeout, id -> {
            if (result.tryFail(new IllegalStateException("no whole answer within " + timeout + " ms")) && sent[0] != null) {
                sent[0].reset();
            }
        });
        http.request(options).onFailure(result::tryFail).onSuccess(request -> {
            sent[0] = request;
            request.send().onFailure(result::tryFail).onSuccess(response -> {
                if (response.statusCode() != 200) {
                    request.reset();
                    result.tryFail(new IllegalStateException("the provider answered HTTP " + response.statusCode()));
                    return;
                }
                String length = response.getHeader("content-length");
                if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19
                        && Long.parseLong(length) > max) {
                    request.reset();
                    result.tryFail(new IllegalStateException("the report declares " + length + " bytes, more than "
                            + max));
                    return;
                }
                Buffer body = Buffer.buffer();
                response.handler(chunk -> {
                    if (body.length() + chunk.length() > max) {
                        request.reset();
                        result.tryFail(new IllegalStateException("the report is larger than " + max + " bytes"));
                    } else {
                        body.appendBuffer(chunk);
                    }
                });
                response.exceptionHandler(result::tryFail);
                response.endHandler(v -> result.tryComplete(body));
            });
        });
        return result.future().andThen(r -> vertx.cancelTimer(timer));
    }

    private static String describe(Throwable failure) {
        // Our own messages name the problem; others (connection refused, TLS) are named by their type only.
        return failure instanceof IllegalStateException ? failure.getMessage() : failure.getClass().getSimpleName();
    }

    /**
     * The route as its TEE claim stands now: unchanged when its upstream has no attestation or the last verification
     * passed; otherwise, per {@code on_failure}, the route without its TEE claim, or null (not to be served).
     */
    @Override
    public Route teeVerified(Route route) {
        Target t = targets.get(route.upstream().name());
        if (t == null || route.policy().teeKind() == TeeKind.NONE) {
            return route;
        }
        Status s = status.get(route.upstream().name());
        if (s != null && s.verified()) {
            return route;
        }
        if (t.config().excludeOnFailure()) {
            return null;
        }
        DataPolicy p = route.policy();
        return new Route(route.modelId(), route.name(), route.upstream(), route.upstreamModel(), route.weight(),
                route.price(), new DataPolicy(p.trains(), p.retentionDays(), p.zdr(), TeeKind.NONE, false,
                        p.jurisdiction(), p.policyUrl()), route.supportedParameters(), route.forwarding(),
                route.tokenizer());
    }

    @Override
    public boolean admitted(Route route) {
        return nodes.admitted(route);
    }

    @Override
    public boolean holdsKey(Route route, String nodeKeyId) {
        return nodes.holdsKey(route, nodeKeyId);
    }

    @Override
    public String declarationMismatch(Route route) {
        return nodes.declarationMismatch(route);
    }

    @Override
    public void close() {
        timers.forEach(vertx::cancelTimer);
        http.close();
    }
}
