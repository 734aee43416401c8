package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.Cookie;
import com.microsoft.playwright.options.SameSiteAttribute;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard at {@code /ui} in a real browser (Debian's chromium through Playwright): the operator logs in and sees
 * charts built from the requests this test made, creates and revokes a key through the page, and every page is
 * screenshotted (target/dashboard-screenshots); a key owner logs in and cannot reach another key's data by URL or by
 * API; names carrying HTML stay text; bad sessions, missing CSRF tokens and absurd filters get clear 4xx answers; and a
 * marker sent in prompts never appears in any page or any dashboard answer.
 */
class DashboardBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path SHOTS = Path.of("target", "dashboard-screenshots");
    /** Configured as a model id and a route name, and used as a key name: must show as text, never run. */
    private static final String XSS_MODEL = "<img src=x onerror=window.__xss=1>";
    private static final String XSS_ROUTE = "<svg onload=window.__xss=2>";
    private static final String XSS_KEY = "<script>window.__xss=3</script><img src=x onerror=window.__xss=4>";

    private final String canary = "CANARY" + UUID.randomUUID().toString().replace("-", "");
    private final ObjectMapper mapper = new ObjectMapper();
    /** Every body the browser received from Veil, for the canary scan. */
    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
    /** Every address the pages loaded from Veil. */
    private final List<String> loaded = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path work;

    @Test
    // A separate thread: Playwright's message loop outlives an interrupt, so the default mode could not end a hang.
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void operatorAndKeyOwnerInChromium() throws Exception {
        requireChromium();
        Files.createDirectories(SHOTS);
        String extraYaml = """
                  - id: "%s"
                    routes:
                      - name: "%s"
                        upstream: fake
                        model: upstream-chat
                        policy: { trains: false, retention_days: 0 }
                """.formatted(XSS_MODEL, XSS_ROUTE);
        try (GatewayFixture fixture = GatewayFixture.start(Files.createDirectories(work.resolve("data")), 3_000, "",
                extraYaml, Map.of("VEIL_MASTER_KEY", GatewayFixture.MASTER_KEY))) {
            int chats = makeTraffic(fixture);
            String xssKeyId = adminCreateKey(fixture, XSS_KEY);
            String otherBatch = makeBatch(fixture);
            fixture.gateway.flushMetering();

            try (Playwright playwright = Playwright.create(new Playwright.CreateOptions()
                    .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
                 Browser browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                         .setExecutablePath(CHROMIUM).setHeadless(true).setTimeout(60_000)
                         .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                 "--disable-component-update", "--disable-sync", "--no-first-run")))) {
                String operatorCookie = operatorView(fixture, browser, chats, xssKeyId);
                String ownerKeyId = keyOwnerView(fixture, browser, otherBatch);
                badInput(fixture, operatorCookie, ownerKeyId);
            }
            // The privacy canary: the prompts' marker reached the upstream, and nothing the dashboard sent holds it.
            assertThat(fixture.upstream.requests().toString()).contains(canary);
            assertThat(seen).isNotEmpty();
            for (String body : List.copyOf(seen)) {
                assertThat(body).doesNotContain(canary);
            }
            for (String path : List.of("/v1/admin/usage?group_by=model", "/v1/admin/usage?group_by=key",
                    "/v1/admin/requests?limit=200", "/v1/admin/routes", "/v1/admin/nodes", "/v1/admin/batches",
                    "/admin/keys", "/v1/admin/audit", "/v1/privacy")) {
                assertThat(adminGet(fixture, path).body()).as(path).doesNotContain(canary);
            }
            loginThrottle(fixture);
        }
    }

    /** Chromium must be there; on CI its absence fails the build instead of skipping the browser tests. */
    private static void requireChromium() {
        if (!Files.isExecutable(CHROMIUM)) {
            String message = "chromium is not installed at " + CHROMIUM + " (Debian: apt-get install -y chromium; "
                    + ".ci/run installs it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
    }

    /** Requests of several kinds, each prompt carrying the canary; returns how many chat requests succeeded. */
    private int makeTraffic(GatewayFixture fixture) {
        int ok = 0;
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = fixture.post("/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"" + canary + " " + i + "\"}]}");
            assertThat(r.statusCode()).isEqualTo(200);
            ok++;
        }
        assertThat(fixture.post("/v1/chat/completions", "{\"model\":\"test-chat\",\"stream\":true,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"" + canary + "\"}]}").statusCode()).isEqualTo(200);
        ok++;
        assertThat(fixture.post("/v1/embeddings", "{\"model\":\"test-embed\",\"input\":\"" + canary + "\"}")
                .statusCode()).isEqualTo(200);
        assertThat(fixture.post("/v1/chat/completions", "{\"model\":\"" + XSS_MODEL.replace("\"", "\\\"")
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]}").statusCode()).isEqualTo(200);
        ok++;
        // Errors: a refusal (no route complies) and an unreachable upstream, each with the canary.
        assertThat(fixture.post("/v1/chat/completions", "{\"model\":\"test-chat\",\"privacy\":{\"min_mode\":\"e2ee\"},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]}").statusCode()).isEqualTo(403);
        assertThat(fixture.post("/v1/chat/completions", "{\"model\":\"test-unreachable\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"" + canary + "\"}]}").statusCode()).isEqualTo(502);
        return ok;
    }

    private String adminCreateKey(GatewayFixture fixture, String name) throws Exception {
        HttpResponse<String> created = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(mapper.writeValueAsString(Map.of("name", name)))));
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode key = mapper.readTree(created.body());
        // The key makes a request, so its name is in the usage by key as well.
        HttpResponse<String> r = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key.path("key").asText()).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + canary + "\"}]}")));
        assertThat(r.statusCode()).isEqualTo(200);
        return key.path("id").asText();
    }

    /** A batch of the fixture's key, whose lines carry the canary; returns its id. */
    private String makeBatch(GatewayFixture fixture) throws Exception {
        OpenAIClient client = fixture.openAiClient(fixture.apiKey);
        try {
            FileObject file = BatchApiTest.upload(client, BatchApiTest.chatLine("c1", canary) + "\n"
                    + BatchApiTest.chatLine("c2", canary) + "\n");
            Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
            Batch done = BatchApiTest.await(client, batch.id());
            assertThat(done.status().asString()).isEqualTo("completed");
            return batch.id();
        } finally {
            client.close();
        }
    }

    private BrowserContext context(Browser browser) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1400, 1000));
        context.setDefaultTimeout(20_000);
        return context;
    }

    /** A page that records what Veil sent it and fails on script errors and CSP violations. */
    private Page page(BrowserContext context, List<String> problems) {
        Page page = context.newPage();
        page.onConsoleMessage(m -> {
            if ("error".equals(m.type()) && !m.text().contains("status of 4")) {
                problems.add("console: " + m.text());
            }
        });
        page.onPageError(e -> problems.add("page error: " + e));
        // Every dashboard answer the page asked for, read again below with the same credentials for the canary scan
        // (a body read inside this event handler can stall Playwright's dispatch, so only the addresses are kept).
        page.onRequestFinished(request -> {
            String url = request.url();
            if (url.contains("/v1/") || url.contains("/admin/") || url.contains("/ui")) {
                loaded.add(url);
            }
        });
        return page;
    }

    private String operatorView(GatewayFixture fixture, Browser browser, int chats, String xssKeyId) throws Exception {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        try (BrowserContext context = context(browser)) {
            Page page = page(context, problems);
            page.navigate(fixture.origin() + "/ui");
            page.locator("#login-token").fill(GatewayFixture.ADMIN_TOKEN);
            page.locator("#login-submit").click();
            page.waitForSelector("#page[data-loaded=usage]");
            assertThat(page.locator("#login-token").inputValue()).isEmpty();

            // Charts built from this test's requests: the day's bar holds every succeeded request.
            Object succeeded = page.evaluate("() => { const c = Chart.getChart(document.getElementById('chart-requests'));"
                    + " return c.data.datasets[0].data.reduce((a, b) => a + b, 0); }");
            assertThat(((Number) succeeded).intValue()).isEqualTo(chats + 1 + 1 + 2); // + the embedding, the XSS key's, 2 batch lines
            Object errors = page.evaluate("() => Chart.getChart(document.getElementById('chart-requests'))"
                    + ".data.datasets[1].data.reduce((a, b) => a + b, 0)");
            assertThat(((Number) errors).intValue()).isEqualTo(2);
            assertThat(page.locator("#usage-by-model").innerText()).contains("test-chat").contains(XSS_MODEL);
            assertThat(page.locator("#usage-by-route").innerText()).contains("fake-zdr").contains(XSS_ROUTE);
            assertThat(page.locator("#usage-by-mode").innerText()).contains("private");
            assertThat(page.locator("#usage-by-key").innerText()).contains(fixture.keyId).contains(xssKeyId);
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("operator-usage.png")).setFullPage(true));

            // The session: an HttpOnly, SameSite=Strict cookie; nothing in script-readable storage.
            Cookie session = context.cookies().stream().filter(c -> c.name.equals("veil_session")).findFirst().orElseThrow();
            assertThat(session.httpOnly).isTrue();
            assertThat(session.sameSite).isEqualTo(SameSiteAttribute.STRICT);
            assertThat(page.evaluate("() => document.cookie")).asString().doesNotContain("veil_session");
            assertThat(page.evaluate("() => localStorage.length + sessionStorage.length")).isEqualTo(0);

            for (String view : List.of("requests", "routes", "nodes", "batches", "audit", "privacy", "keys")) {
                page.navigate(fixture.origin() + "/ui#/" + view);
                page.waitForSelector("#page[data-loaded=" + view + "]");
                page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("operator-" + view + ".png"))
                        .setFullPage(true));
                seen.add(page.content());
                switch (view) {
                    case "requests" -> {
                        assertThat(page.locator("#requests-table").innerText()).contains(XSS_MODEL)
                                .contains("test-chat").contains("502");
                        // Filters and paging through the page's own controls.
                        page.locator("#req-limit").fill("3");
                        page.locator("#requests-filters button[type=submit]").click();
                        page.waitForCondition(() -> page.locator("#requests-table tbody tr").count() == 3);
                        String first = page.locator("#requests-table tbody").innerText();
                        page.locator("#req-next").click();
                        page.waitForCondition(() -> !page.locator("#requests-table tbody").innerText().equals(first));
                        assertThat(page.locator("#req-first").isEnabled()).isTrue();
                        page.locator("#req-status").fill("5xx");
                        page.locator("#requests-filters button[type=submit]").click();
                        page.waitForCondition(() -> page.locator("#requests-table tbody tr").count() == 1);
                        assertThat(page.locator("#requests-table").innerText()).contains("502")
                                .doesNotContain("fake-zdr");
                    }
                    case "routes" -> assertThat(page.locator("main").innerText()).contains("fake-zdr").contains(XSS_ROUTE)
                            .contains("closed");
                    case "batches" -> assertThat(page.locator("#batches-table").innerText()).contains("completed")
                            .contains(fixture.keyId);
                    case "keys" -> assertThat(page.locator("#keys-table").innerText()).contains(XSS_KEY);
                    case "audit" -> {
                        assertThat(page.locator("#audit-table").innerText()).contains("key.created").contains(XSS_KEY);
                        assertThat(page.locator("#audit-next").count()).as("one page only").isZero();
                    }
                    case "privacy" -> assertThat(page.locator("main").innerText()).contains("request_log")
                            .contains("dashboard_sessions").contains("e2ee");
                    default -> {
                    }
                }
            }
            // Names that look like markup stayed text: no element came from them and no script of theirs ran.
            assertThat(page.evaluate("() => window.__xss === undefined")).isEqualTo(true);
            assertThat(page.locator("#keys-table script, #keys-table img").count()).isZero();

            // Create a key through the page: its secret is shown once and works; then revoke it through the page.
            page.locator("#key-name").fill("made-in-the-browser");
            page.locator("#key-preset").selectOption("internal");
            page.locator("#key-create-submit").click();
            String secret = page.locator("#key-secret").innerText().trim();
            assertThat(models(fixture, secret)).isEqualTo(200);
            JsonNode made = null;
            for (JsonNode k : mapper.readTree(adminGet(fixture, "/admin/keys").body()).path("data")) {
                if (k.path("name").asText().equals("made-in-the-browser")) {
                    made = k;
                }
            }
            assertThat(made).isNotNull();
            assertThat(made.path("policy").path("preset").asText()).isEqualTo("internal");
            String madeId = made.path("id").asText();
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("operator-key-created.png")));
            page.locator("[data-revoke='" + madeId + "']").click();
            page.locator("[data-confirm-revoke='" + madeId + "']").click();
            page.waitForSelector("#key-revoked");
            assertThat(models(fixture, secret)).isEqualTo(401);
            auditEntries(fixture, madeId);

            assertThat(page.evaluate("() => window.__xss === undefined")).isEqualTo(true);
            assertThat(problems).as("script errors or CSP violations").isEmpty();
            rereadWithSession(fixture, session.value);
            return session.value;
        }
    }

    /**
     * The audit log of the key made and revoked above. Runs only once the gateway serves {@code GET /v1/admin/audit}
     * (the audit log is built separately); until then it says so and checks nothing.
     */
    private void auditEntries(GatewayFixture fixture, String keyId) throws Exception {
        HttpResponse<String> audit = adminGet(fixture, "/v1/admin/audit?limit=200");
        if (audit.statusCode() == 404) {
            System.out.println("DashboardBrowserTest: GET /v1/admin/audit is not served yet; audit assertions skipped");
            return;
        }
        assertThat(audit.statusCode()).isEqualTo(200);
        assertThat(audit.body()).contains(keyId);
        List<String> actions = new ArrayList<>();
        for (JsonNode entry : mapper.readTree(audit.body()).path("data")) {
            if (entry.toString().contains(keyId)) {
                actions.add(entry.path("action").asText());
            }
        }
        assertThat(String.join(",", actions)).contains("created").contains("revoked");
    }

    private String keyOwnerView(GatewayFixture fixture, Browser browser, String otherBatch) throws Exception {
        // A second key owner: it logs in, and must never see the fixture key's data (nor its batch).
        String ownerKey;
        String ownerId;
        HttpResponse<String> created = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"owner\",\"policy\":{\"budget_usd\":5,\"rpm\":100}}")));
        JsonNode k = mapper.readTree(created.body());
        ownerKey = k.path("key").asText();
        ownerId = k.path("id").asText();
        HttpResponse<String> chat = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + ownerKey).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + canary + "\"}]}")));
        assertThat(chat.statusCode()).isEqualTo(200);
        fixture.gateway.flushMetering();

        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        try (BrowserContext context = context(browser)) {
            Page page = page(context, problems);
            page.navigate(fixture.origin() + "/ui");
            page.locator("#login-token").fill(ownerKey);
            page.locator("#login-submit").click();
            page.waitForSelector("#page[data-loaded=key]");
            assertThat(page.locator("#owner-facts").innerText()).contains(ownerId).doesNotContain(fixture.keyId);
            assertThat(page.locator("#owner-budget").innerText()).contains("$5.00").contains("left");
            Object requests = page.evaluate("() => Chart.getChart(document.getElementById('chart-requests'))"
                    + ".data.datasets[0].data.reduce((a, b) => a + b, 0)");
            assertThat(((Number) requests).intValue()).isEqualTo(1);
            assertThat(page.locator("#owner-batches").innerText()).doesNotContain(otherBatch);
            page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("key-owner.png")).setFullPage(true));
            seen.add(page.content());

            // By URL: the operator's pages show a refusal, and their data is refused by the server.
            page.navigate(fixture.origin() + "/ui#/keys");
            page.waitForSelector("#forbidden");
            assertThat(page.locator("#keys-table").count()).isZero();
            // By API, from the page with its session: every operator endpoint and another key's batch are refused.
            for (String path : List.of("/v1/admin/usage", "/v1/admin/requests?key=" + fixture.keyId, "/v1/admin/batches",
                    "/v1/admin/nodes", "/v1/admin/audit",
                    "/v1/admin/routes", "/admin/keys")) {
                Object status = page.evaluate("p => fetch(p).then(r => r.status)", path);
                assertThat(status).as(path).isEqualTo(403);
            }
            // The session is no API key for files and batches, its own or others'.
            assertThat(page.evaluate("p => fetch(p).then(r => r.status)", "/v1/batches/" + otherBatch)).isEqualTo(401);
            Object own = page.evaluate("() => fetch('/v1/key?view=usage&group_by=model&key=" + fixture.keyId
                    + "').then(r => r.json())");
            assertThat(own.toString()).contains(ownerId).doesNotContain(fixture.keyId);
            assertThat(page.evaluate("p => fetch(p).then(r => r.status)", "/v1/batches")).isEqualTo(401);
            Object ownBatches = page.evaluate("() => fetch('/v1/key?view=batches&key=" + fixture.keyId
                    + "').then(r => r.text())");
            assertThat(ownBatches.toString()).doesNotContain(otherBatch);
            // A change with the key owner's session is refused even with its CSRF token.
            Object revoke = page.evaluate("id => fetch('/ui/session').then(r => r.json()).then(s => fetch('/admin/keys/'"
                    + " + id, {method: 'DELETE', headers: {'x-csrf-token': s.csrf_token}})).then(r => r.status)",
                    fixture.keyId);
            assertThat(revoke).isEqualTo(403);
            assertThat(problems).as("script errors or CSP violations").isEmpty();
            String ownerSession = context.cookies().stream().filter(c -> c.name.equals("veil_session")).findFirst()
                    .orElseThrow().value;
            rereadWithSession(fixture, ownerSession);
        }
        return ownerId;
    }

    /** Reads again, with the same session, every dashboard address the pages loaded, for the canary scan. */
    private void rereadWithSession(GatewayFixture fixture, String session) {
        List<String> urls = List.copyOf(new java.util.LinkedHashSet<>(loaded));
        loaded.clear();
        assertThat(urls).isNotEmpty();
        for (String url : urls) {
            HttpResponse<String> r = fixture.send(HttpRequest.newBuilder(URI.create(url))
                    .header("cookie", "veil_session=" + session).GET());
            seen.add(url + "\n" + r.body());
        }
    }

    /** The request log's pages, followed by their cursors, hold every row once, newest first. */
    private void paging(GatewayFixture fixture, String cookie) throws Exception {
        JsonNode all = mapper.readTree(send(fixture, "GET", "/v1/admin/requests?limit=200", cookie, null, null).body());
        assertThat(all.path("has_more").asBoolean()).isFalse();
        List<String> expected = all.path("data").findValuesAsText("request_id");
        assertThat(expected).hasSizeGreaterThan(6);
        List<String> paged = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 20; pages++) {
            JsonNode page = mapper.readTree(send(fixture, "GET", "/v1/admin/requests?limit=3"
                    + (cursor == null ? "" : "&cursor=" + cursor), cookie, null, null).body());
            paged.addAll(page.path("data").findValuesAsText("request_id"));
            if (!page.path("has_more").asBoolean()) {
                break;
            }
            cursor = page.path("next_cursor").asText();
        }
        assertThat(paged).isEqualTo(expected);
        JsonNode errors = mapper.readTree(send(fixture, "GET", "/v1/admin/requests?status=5xx&model=test-unreachable",
                cookie, null, null).body());
        assertThat(errors.path("data")).hasSize(1);
        assertThat(errors.path("data").get(0).path("status").asInt()).isEqualTo(502);
    }

    /** Sessions, CSRF, roles and filters: each wrong request gets its 4xx with a clear message and no stack trace. */
    private void badInput(GatewayFixture fixture, String operatorCookie, String ownerId) throws Exception {
        String cookie = "veil_session=" + operatorCookie;
        paging(fixture, cookie);
        // A change without the CSRF token, and with a wrong one.
        expect(send(fixture, "POST", "/admin/keys", cookie, null, "{\"name\":\"x\"}"), 403, "csrf_token_invalid");
        expect(send(fixture, "DELETE", "/admin/keys/" + ownerId, cookie, "wrong", null), 403, "csrf_token_invalid");
        // With the session's token it works.
        String csrf = mapper.readTree(send(fixture, "GET", "/ui/session", cookie, null, null).body())
                .path("csrf_token").asText();
        assertThat(send(fixture, "POST", "/admin/keys", cookie, csrf, "{\"name\":\"with-csrf\"}").statusCode())
                .isEqualTo(201);
        // Forged and malformed sessions.
        expect(send(fixture, "GET", "/v1/admin/usage", "veil_session=" + "A".repeat(43), null, null), 401,
                "invalid_session");
        expect(send(fixture, "GET", "/v1/admin/usage", "veil_session=<script>", null, null), 401, "invalid_session");
        // Absurd filters and page sizes.
        expect(send(fixture, "GET", "/v1/admin/requests?limit=100000", cookie, null, null), 400, "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/requests?limit=0", cookie, null, null), 400, "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/requests?from=2020-01-01&to=2026-01-01", cookie, null, null), 400,
                "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/requests?from=2026-02-01&to=2026-01-01", cookie, null, null), 400,
                "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/requests?from=yesterday", cookie, null, null), 400, "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/requests?status=999", cookie, null, null), 400, "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/requests?cursor=%27%20OR%201%3D1", cookie, null, null), 400,
                "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/usage?start_date=0000-01-01", cookie, null, null), 400, "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/usage?group_by=secret", cookie, null, null), 400, "invalid_value");
        expect(send(fixture, "GET", "/v1/admin/batches?limit=-5", cookie, null, null), 400, "invalid_value");
        // No session and no token.
        expect(send(fixture, "GET", "/v1/admin/usage", null, null, null), 401, "invalid_admin_token");
        // An expired session: the store says so, whatever the cookie claims.
        try (Connection c = fixture.gateway.store().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE dashboard_sessions SET expires_at = 1");
        }
        expect(send(fixture, "GET", "/v1/admin/usage", cookie, null, null), 401, "invalid_session");
        expect(send(fixture, "GET", "/ui/session", cookie, null, null), 401, "invalid_session");
    }

    /** Eleven wrong logins from one address in a minute: the last ones are refused before the token is checked. */
    private void loginThrottle(GatewayFixture fixture) throws Exception {
        int refused = 0;
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = send(fixture, "POST", "/ui/login", null, null, "{\"token\":\"wrong-" + i + "\"}");
            assertThat(r.statusCode()).isIn(401, 429);
            if (r.statusCode() == 429) {
                refused++;
                assertThat(r.headers().firstValue("retry-after")).hasValue("60");
            }
        }
        assertThat(refused).isGreaterThanOrEqualTo(2);
        // Even the right token waits out the minute.
        expect(send(fixture, "POST", "/ui/login", null, null, "{\"token\":\"" + GatewayFixture.ADMIN_TOKEN + "\"}"), 429,
                "too_many_login_attempts");
    }

    private void expect(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = mapper.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    private HttpResponse<String> send(GatewayFixture fixture, String method, String path, String cookie, String csrf,
                                      String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fixture.origin() + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (cookie != null) {
            b.header("cookie", cookie);
        }
        if (csrf != null) {
            b.header("x-csrf-token", csrf);
        }
        if (body != null) {
            b.header("content-type", "application/json");
        }
        return fixture.send(b);
    }

    private HttpResponse<String> adminGet(GatewayFixture fixture, String path) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + path))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).GET());
    }

    private int models(GatewayFixture fixture, String secret) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/models"))
                .header("authorization", "Bearer " + secret).GET()).statusCode();
    }
}
