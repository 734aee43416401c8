package dev.veil.store;

import static dev.veil.store.TestData.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.protocol.PrivacyMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Set;
import org.flywaydb.core.Flyway;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store's behaviour, written once and run against each vendor by a subclass that supplies a fresh, empty
 * database per test.
 */
abstract class StoreContract implements BatchStoreContract, BatchLeaseContract, MinimisationStoreContract,
        DashboardStoreContract {

    /** A timestamp with millisecond precision, as the store keeps it. */
    static final Instant T0 = Instant.parse("2025-03-01T23:59:00Z");

    protected Store store;
    private StoreSettings settings;

    /** Settings for a new, empty database. */
    protected abstract StoreSettings freshDatabase() throws Exception;

    protected abstract String expectedVendor();

    @BeforeEach
    void openStore() throws Exception {
        settings = freshDatabase();
        store = Store.open(settings);
    }

    @Override
    public Store store() {
        return store;
    }

    @Override
    public StoreSettings settings() {
        return settings;
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void reportsItsVendor() {
        assertThat(store.vendor()).isEqualTo(expectedVendor());
    }

    @Test
    void reopeningAnExistingDatabaseKeepsItsData() {
        IssuedKey issued = ApiKeyIssuer.issue("ops", T0);
        store.apiKeys().insert(issued.record());
        store.close();

        store = Store.open(settings);

        assertThat(store.apiKeys().findById(issued.record().id())).contains(issued.record());
    }

    // ---- api_keys ----

    @Test
    void findsKeysByHashAndById() {
        IssuedKey issued = ApiKeyIssuer.issue("alice", T0);
        store.apiKeys().insert(issued.record());

        assertThat(store.apiKeys().findBySecretHash(ApiKeyIssuer.hashSecret(issued.secret())))
                .contains(issued.record());
        assertThat(store.apiKeys().findById(issued.record().id())).contains(issued.record());
        assertThat(store.apiKeys().findBySecretHash(ApiKeyIssuer.hashSecret("veil_sk_wrong"))).isEmpty();
        assertThat(store.apiKeys().findById("key_unknown")).isEmpty();
    }

    @Test
    void listsKeysOldestFirst() {
        ApiKeyRecord newer = ApiKeyIssuer.issue("newer", T0.plusSeconds(60)).record();
        ApiKeyRecord older = ApiKeyIssuer.issue("older", T0).record();
        store.apiKeys().insert(newer);
        store.apiKeys().insert(older);

        assertThat(store.apiKeys().list()).containsExactly(older, newer);
    }

    @Test
    void revokesOnlyActiveKeysAndKeepsTheRow() {
        ApiKeyRecord key = ApiKeyIssuer.issue("bob", T0).record();
        store.apiKeys().insert(key);
        Instant revokedAt = T0.plusSeconds(10);

        assertThat(store.apiKeys().revoke(key.id(), revokedAt)).isTrue();
        assertThat(store.apiKeys().revoke(key.id(), revokedAt.plusSeconds(5))).isFalse();
        assertThat(store.apiKeys().revoke("key_unknown", revokedAt)).isFalse();

        ApiKeyRecord stored = store.apiKeys().findBySecretHash(key.secretHash()).orElseThrow();
        assertThat(stored.active()).isFalse();
        assertThat(stored.revokedAt()).isEqualTo(revokedAt);
        assertThat(store.apiKeys().list()).hasSize(1);
    }

    @Test
    void revocationsAndPolicyChangesMoveTheChangeVersionOthersDoNot() {
        ApiKeyRecord key = ApiKeyIssuer.issue("erin", T0).record();
        long start = store.apiKeys().changeVersion();
        store.apiKeys().insert(key);
        assertThat(store.apiKeys().changeVersion()).as("a new key is in no cache").isEqualTo(start);

        assertThat(store.apiKeys().updatePolicy(key.id(), CUSTOM_POLICY)).isTrue();
        assertThat(store.apiKeys().changeVersion()).isEqualTo(start + 1);
        assertThat(store.apiKeys().updatePolicy("key_unknown", CUSTOM_POLICY)).isFalse();
        assertThat(store.apiKeys().changeVersion()).as("nothing changed").isEqualTo(start + 1);

        assertThat(store.apiKeys().revoke(key.id(), T0.plusSeconds(1))).isTrue();
        assertThat(store.apiKeys().changeVersion()).isEqualTo(start + 2);
        assertThat(store.apiKeys().revoke(key.id(), T0.plusSeconds(2))).isFalse();
        assertThat(store.apiKeys().updatePolicy(key.id(), KeyPolicy.UNRESTRICTED)).as("revoked").isFalse();
        assertThat(store.apiKeys().changeVersion()).isEqualTo(start + 2);
    }

    @Test
    void duplicateKeyFailsWithoutQuotingValues() {
        ApiKeyRecord key = ApiKeyIssuer.issue("carol-label", T0).record();
        store.apiKeys().insert(key);
        ApiKeyRecord sameHash = new ApiKeyRecord("key_other", "dave-label", key.secretHash(), "hint", T0, null);

        StoreException e = catchThrowableOfType(StoreException.class, () -> store.apiKeys().insert(sameHash));

        assertThat(e.constraintViolation()).isTrue();
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).doesNotContain(key.secretHash(), "carol-label", "dave-label", "hint");
    }

    // ---- api_keys.policy ----

    static final KeyPolicy CUSTOM_POLICY = new KeyPolicy(null, PrivacyMode.TEE, Set.of("model-a", "model-b"),
            Set.of("route-a"), Set.of("EU", "CH"), 12_345_678L, KeyPolicy.BudgetPeriod.DAY, 60, 100_000);

    @Test
    void keysKeepTheirPolicies() {
        ApiKeyRecord custom = ApiKeyIssuer.issue("custom", CUSTOM_POLICY, T0).record();
        ApiKeyRecord preset = ApiKeyIssuer.issue("preset", KeyPolicy.preset("regulated"), T0.plusSeconds(1)).record();
        ApiKeyRecord plain = ApiKeyIssuer.issue("plain", T0.plusSeconds(2)).record();
        store.apiKeys().insert(custom);
        store.apiKeys().insert(preset);
        store.apiKeys().insert(plain);

        assertThat(store.apiKeys().findById(custom.id()).orElseThrow().policy()).isEqualTo(CUSTOM_POLICY);
        assertThat(store.apiKeys().findBySecretHash(preset.secretHash()).orElseThrow().policy())
                .isEqualTo(KeyPolicy.preset("regulated"));
        assertThat(store.apiKeys().list()).extracting(ApiKeyRecord::policy)
                .containsExactly(CUSTOM_POLICY, KeyPolicy.preset("regulated"), KeyPolicy.UNRESTRICTED);
        assertThat(rawPolicy(plain.id())).as("unrestricted is stored as NULL").isNull();
        assertThat(rawPolicy(custom.id())).isEqualTo(KeyPolicyJson.write(CUSTOM_POLICY));
    }

    @Test
    void updatePolicyReplacesThePolicyOfActiveKeysOnly() {
        ApiKeyRecord key = ApiKeyIssuer.issue("k", T0).record();
        ApiKeyRecord revoked = ApiKeyIssuer.issue("r", KeyPolicy.preset("internal"), T0).record();
        store.apiKeys().insert(key);
        store.apiKeys().insert(revoked);
        store.apiKeys().revoke(revoked.id(), T0.plusSeconds(1));

        assertThat(store.apiKeys().updatePolicy(key.id(), CUSTOM_POLICY)).isTrue();
        assertThat(store.apiKeys().findById(key.id())).contains(key.withPolicy(CUSTOM_POLICY));

        assertThat(store.apiKeys().updatePolicy(key.id(), KeyPolicy.UNRESTRICTED)).isTrue();
        assertThat(store.apiKeys().findById(key.id()).orElseThrow().policy()).isEqualTo(KeyPolicy.UNRESTRICTED);
        assertThat(rawPolicy(key.id())).isNull();

        assertThat(store.apiKeys().updatePolicy(revoked.id(), CUSTOM_POLICY)).as("revoked").isFalse();
        assertThat(store.apiKeys().findById(revoked.id()).orElseThrow().policy()).isEqualTo(KeyPolicy.preset("internal"));
        assertThat(store.apiKeys().updatePolicy("key_unknown", CUSTOM_POLICY)).as("unknown").isFalse();
    }

    @Test
    void aStoredPolicyThatCannotBeReadFailsClosedWithoutQuotingIt() throws Exception {
        ApiKeyRecord key = ApiKeyIssuer.issue("k", T0).record();
        store.apiKeys().insert(key);
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement("UPDATE api_keys SET policy = ? WHERE id = ?")) {
            statement.setString(1, "{\"rpm\":\"SECRET-VALUE\"}");
            statement.setString(2, key.id());
            statement.executeUpdate();
        }

        IllegalStateException e = catchThrowableOfType(IllegalStateException.class,
                () -> store.apiKeys().findById(key.id()));

        assertThat(e.getMessage()).contains(key.id(), "policy.rpm").doesNotContain("SECRET-VALUE");
    }

    @Test
    void migratingAVersion1DatabaseLeavesItsKeysUnrestricted() throws Exception {
        store.close();
        StoreSettings v1 = freshDatabase();
        Flyway.configure().dataSource(v1.jdbcUrl(), v1.username(), v1.password())
                .locations("classpath:" + Store.COMMON_MIGRATIONS).target("1").load().migrate();
        try (Connection connection = java.sql.DriverManager.getConnection(v1.jdbcUrl(), v1.username(), v1.password());
             PreparedStatement statement = connection.prepareStatement("INSERT INTO api_keys "
                     + "(id, name, secret_hash, secret_hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)")) {
            statement.setString(1, "key_0000000000000001");
            statement.setString(2, "old");
            statement.setString(3, "0".repeat(64));
            statement.setString(4, "abcd");
            statement.setLong(5, T0.toEpochMilli());
            statement.executeUpdate();
        }

        store = Store.open(v1);

        ApiKeyRecord old = store.apiKeys().findById("key_0000000000000001").orElseThrow();
        assertThat(old.policy()).isEqualTo(KeyPolicy.UNRESTRICTED);
        assertThat(old.name()).isEqualTo("old");
        assertThat(store.apiKeys().updatePolicy(old.id(), KeyPolicy.preset("confidential"))).isTrue();
        assertThat(store.apiKeys().findById(old.id()).orElseThrow().policy().minMode()).isEqualTo(PrivacyMode.TEE);
    }

    private String rawPolicy(String id) {
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT policy FROM api_keys WHERE id = ?")) {
            statement.setString(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    // ---- request_log ----

    @Test
    void insertsAndReadsRequestRecords() {
        RequestRecord full = request("req-1", "key_a", T0);
        RequestRecord sparse = new RequestRecord("req-2", "key_a", T0.plusSeconds(1), "/v1/embeddings", "unknown",
                null, null, 404, 7, null, 0, 0, 0, 0);
        RequestRecord estimated = new RequestRecord("req-4", "key_a", T0.plusSeconds(3), "chat.completions", "model-a",
                "route-a", "private", 200, 9, 3L, 12, 17, 29, 5, dev.veil.protocol.RequestLogMode.FULL, true);
        RequestRecord otherKey = request("req-3", "key_b", T0.plusSeconds(2));
        store.requests().insertAll(List.of(full, sparse, otherKey, estimated));

        assertThat(store.requests().count()).isEqualTo(4);
        assertThat(store.requests().recentForKey("key_a", 10)).containsExactly(estimated, sparse, full);
        assertThat(store.requests().recentForKey("key_a", 1)).containsExactly(estimated);
        assertThat(store.requests().recentForKey("key_a", 10).get(0).usageEstimated()).isTrue();
        assertThat(store.requests().recentForKey("key_a", 10).get(1).usageEstimated()).isFalse();
        assertThat(store.requests().recentForKey("key_c", 10)).isEmpty();
    }

    @Test
    void insertAllIsAllOrNothing() {
        store.requests().insertAll(List.of(request("req-1", "key_a", T0)));

        catchThrowableOfType(StoreException.class, () -> store.requests().insertAll(
                List.of(request("req-2", "key_a", T0), request("req-1", "key_a", T0))));

        assertThat(store.requests().count()).isEqualTo(1);
    }

    @Test
    void purgeDeletesOnlyRowsStrictlyOlderThanTheCutoff() {
        store.requests().insertAll(List.of(
                request("old", "key_a", T0.minusMillis(1)),
                request("edge", "key_a", T0),
                request("new", "key_a", T0.plusSeconds(1))));

        assertThat(store.requests().purgeOlderThan(T0)).isEqualTo(1);

        assertThat(store.requests().recentForKey("key_a", 10)).extracting(RequestRecord::requestId)
                .containsExactly("new", "edge");
    }

    // ---- usage_ledger ----

    @Test
    void ledgerUpsertAddsToExistingTotals() throws Exception {
        LocalDate day = LocalDate.of(2025, 3, 1);
        LedgerEntry first = new LedgerEntry("key_a", day, "model-a", 1, 10, 20, 300);
        LedgerEntry second = new LedgerEntry("key_a", day, "model-a", 2, 1, 2, 3);
        try (var connection = store.dataSource().getConnection()) {
            store.ledger().addAll(connection, List.of(first));
            store.ledger().addAll(connection, List.of(second, second));
        }

        assertThat(store.ledger().forKey("key_a", day, day))
                .containsExactly(new LedgerEntry("key_a", day, "model-a", 5, 12, 24, 306));
    }

    @Test
    void ledgerReadsARangeOfDaysInOrder() throws Exception {
        LocalDate d1 = LocalDate.of(2025, 2, 28);
        LocalDate d2 = LocalDate.of(2025, 3, 1);
        LocalDate d3 = LocalDate.of(2025, 3, 2);
        List<LedgerEntry> entries = List.of(
                new LedgerEntry("key_a", d3, "model-a", 1, 1, 1, 1),
                new LedgerEntry("key_a", d2, "model-b", 1, 1, 1, 1),
                new LedgerEntry("key_a", d2, "model-a", 1, 1, 1, 1),
                new LedgerEntry("key_a", d1, "model-a", 1, 1, 1, 1),
                new LedgerEntry("key_b", d2, "model-a", 1, 1, 1, 1));
        try (var connection = store.dataSource().getConnection()) {
            store.ledger().addAll(connection, entries);
        }

        assertThat(store.ledger().forKey("key_a", d2, d3))
                .containsExactly(entries.get(2), entries.get(1), entries.get(0));
        assertThat(store.ledger().forKey("key_a", d1, d1)).containsExactly(entries.get(3));
        assertThat(store.ledger().forKey("key_c", d1, d3)).isEmpty();
    }

    // ---- metering ----

    @Test
    void meteringWritesRecordsFromManyThreadsWithMatchingLedger() throws Exception {
        int threads = 4;
        int perThread = 500;
        String[] keys = {"key_a", "key_b", "key_c"};
        String[] models = {"model-a", "model-b"};
        List<RequestRecord> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                int n = t * perThread + i;
                // Spread across the UTC midnight after T0 so aggregation per day is exercised.
                all.add(request("req-" + n, keys[n % keys.length], T0.plusMillis(n * 100L), models[n % 2],
                        n % 7, n % 11, n % 13));
            }
        }

        try (MeteringWriter writer = new MeteringWriter(store, 10_000, 64, Duration.ofMillis(50))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> accepted = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<RequestRecord> mine = all.subList(t * perThread, (t + 1) * perThread);
                accepted.add(pool.submit(() -> {
                    start.await();
                    return mine.stream().filter(writer::record).count();
                }));
            }
            start.countDown();
            for (Future<Long> f : accepted) {
                assertThat(f.get()).isEqualTo(perThread);
            }
            pool.shutdown();

            writer.flush();

            assertThat(writer.writtenCount()).isEqualTo(threads * perThread);
            assertThat(writer.droppedCount()).isZero();
            assertThat(store.requests().count()).isEqualTo(threads * perThread);
        }

        LocalDate from = LocalDate.ofInstant(T0, ZoneOffset.UTC);
        for (String key : keys) {
            Map<String, long[]> expected = new TreeMap<>();
            all.stream().filter(r -> r.keyId().equals(key)).forEach(r -> {
                long[] sums = expected.computeIfAbsent(
                        LocalDate.ofInstant(r.createdAt(), ZoneOffset.UTC) + "/" + r.model(), k -> new long[4]);
                sums[0]++;
                sums[1] += r.promptTokens();
                sums[2] += r.completionTokens();
                sums[3] += r.costMicros();
            });
            Map<String, long[]> actual = new TreeMap<>();
            for (LedgerEntry e : store.ledger().forKey(key, from, from.plusDays(1))) {
                actual.put(e.day() + "/" + e.model(),
                        new long[] {e.requests(), e.promptTokens(), e.completionTokens(), e.costMicros()});
            }
            assertThat(actual).hasSameSizeAs(expected).hasSize(4);
            expected.forEach((k, v) -> assertThat(actual.get(k)).as(key + " " + k).containsExactly(v));
        }
    }

    @Test
    void flushWritesWithoutWaitingForTheIntervalAndCloseWritesTheRest() {
        MeteringWriter writer = new MeteringWriter(store, 100, 50, Duration.ofHours(1));
        assertThat(writer.record(request("req-1", "key_a", T0))).isTrue();
        writer.flush();
        assertThat(store.requests().count()).isEqualTo(1);

        assertThat(writer.record(request("req-2", "key_a", T0))).isTrue();
        writer.close();

        assertThat(store.requests().count()).isEqualTo(2);
        assertThat(writer.writtenCount()).isEqualTo(2);
        assertThat(writer.record(request("req-3", "key_a", T0))).as("after close").isFalse();
        assertThat(writer.droppedCount()).isEqualTo(1);
        writer.close(); // idempotent
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .doesNotContain("veil-metering");
    }

    @Test
    void fullQueueRefusesAndCountsDrops() {
        MeteringWriter writer = new MeteringWriter(store, 5, 100, Duration.ofHours(1));
        for (int i = 0; i < 5; i++) {
            assertThat(writer.record(request("req-" + i, "key_a", T0))).isTrue();
        }

        assertThat(writer.record(request("req-5", "key_a", T0))).isFalse();
        assertThat(writer.record(request("req-6", "key_a", T0))).isFalse();
        assertThat(writer.droppedCount()).isEqualTo(2);

        writer.close();
        assertThat(writer.writtenCount()).isEqualTo(5);
        assertThat(store.requests().count()).isEqualTo(5);
    }

    @Test
    void retentionPurgeRemovesOldRequestsAndKeepsTheLedger() {
        Instant now = T0.plus(40, ChronoUnit.DAYS);
        try (MeteringWriter writer = new MeteringWriter(store, 100, 100, Duration.ofMillis(20))) {
            writer.record(request("old", "key_a", now.minus(31, ChronoUnit.DAYS)));
            writer.record(request("recent", "key_a", now.minus(29, ChronoUnit.DAYS)));
            writer.flush();
        }
        LocalDate from = LocalDate.ofInstant(now.minus(60, ChronoUnit.DAYS), ZoneOffset.UTC);
        LocalDate to = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<LedgerEntry> ledgerBefore = store.ledger().forKey("key_a", from, to);

        int deleted = RetentionPurger.purge(store, Duration.ofDays(30), Clock.fixed(now, ZoneOffset.UTC));

        assertThat(deleted).isEqualTo(1);
        assertThat(store.requests().recentForKey("key_a", 10)).extracting(RequestRecord::requestId)
                .containsExactly("recent");
        assertThat(ledgerBefore).hasSize(2);
        assertThat(store.ledger().forKey("key_a", from, to)).isEqualTo(ledgerBefore);
    }
}
