package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.KeyPolicy;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit log's chain on each vendor: appends link, key changes are recorded with them, tampering (edit, delete,
 * reorder) is named at the first broken entry, retention keeps the rest verifiable, and several writers on one
 * database form one chain.
 */
abstract class AuditLogContract {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    protected Store store;
    private StoreSettings settings;

    /** Settings for a new, empty database. */
    protected abstract StoreSettings freshDatabase() throws Exception;

    @BeforeEach
    void open() throws Exception {
        settings = freshDatabase();
        store = Store.open(settings);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private AuditLogRepository audit() {
        return store.auditLog();
    }

    private void appendFive() {
        for (int i = 1; i <= 5; i++) {
            audit().append(AuditEvent.of(AuditActor.GATEWAY, AuditAction.NODE_ADMITTED, "node-" + i,
                    "format", "simulated"), T0.plusSeconds(i));
        }
    }

    private void sql(String statementText) throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate(statementText);
        }
    }

    @Test
    void anEmptyLogVerifies() {
        AuditVerification result = audit().verify();
        assertThat(result.intact()).isTrue();
        assertThat(result.entries()).isZero();
        assertThat(result.headHash()).isEqualTo(AuditChain.GENESIS);
    }

    @Test
    void appendsLinkEachEntryToTheOneBefore() {
        appendFive();
        List<AuditEntry> entries = audit().page(0, 100);
        assertThat(entries).extracting(AuditEntry::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(entries.get(0).prevHash()).isEqualTo(AuditChain.GENESIS);
        for (int i = 1; i < entries.size(); i++) {
            assertThat(entries.get(i).prevHash()).isEqualTo(entries.get(i - 1).hash());
        }
        assertThat(entries).allMatch(AuditEntry::hashMatches);
        AuditVerification result = audit().verify();
        assertThat(result.intact()).as(result.problem()).isTrue();
        assertThat(result.entries()).isEqualTo(5);
        assertThat(result.headHash()).isEqualTo(entries.get(4).hash());
        assertThat(audit().page(3, 1)).extracting(AuditEntry::seq).containsExactly(4L);
    }

    @Test
    void keyChangesAreRecordedWithTheirActorAndWithoutTheSecret() {
        IssuedKey issued = ApiKeyIssuer.issue("team-a", KeyPolicy.preset("internal"), T0);
        store.apiKeys().insert(issued.record(), AuditActor.ADMIN_API);
        store.apiKeys().updatePolicy(issued.record().id(), KeyPolicy.preset("confidential"), AuditActor.CLI);
        store.apiKeys().revoke(issued.record().id(), T0.plusSeconds(60), AuditActor.ADMIN_API);
        assertThat(store.apiKeys().revoke(issued.record().id(), T0.plusSeconds(61), AuditActor.ADMIN_API))
                .as("a second revocation changes nothing").isFalse();
        assertThat(store.apiKeys().updatePolicy("key_unknown", KeyPolicy.UNRESTRICTED, AuditActor.CLI)).isFalse();

        List<AuditEntry> entries = audit().page(0, 100);
        assertThat(entries).extracting(AuditEntry::action)
                .containsExactly("key.created", "key.policy_changed", "key.revoked");
        assertThat(entries).extracting(AuditEntry::actor).containsExactly("admin_api", "cli", "admin_api");
        assertThat(entries).extracting(AuditEntry::subject).containsOnly(issued.record().id());
        assertThat(entries.get(0).details()).containsEntry("name", "team-a").containsKey("policy");
        assertThat(entries.get(1).details().get("policy")).contains("confidential");
        String all = entries.toString();
        assertThat(all).doesNotContain(issued.secret()).doesNotContain(issued.record().secretHash());
        assertThat(audit().verify().intact()).isTrue();
    }

    @Test
    void anEditedEntryIsNamed() throws Exception {
        appendFive();
        sql("UPDATE audit_log SET subject = 'node-x' WHERE seq = 3");
        AuditVerification result = audit().verify();
        assertThat(result.intact()).isFalse();
        assertThat(result.brokenSeq()).isEqualTo(3);
        assertThat(result.problem()).contains("entry 3").contains("edited");
    }

    @Test
    void anEditedEntryWhoseHashWasRecomputedBreaksTheNextLink() throws Exception {
        appendFive();
        AuditEntry third = audit().page(2, 1).get(0);
        String forged = AuditChain.hash(third.prevHash(), 3, third.time().toEpochMilli(), third.actor(), third.action(),
                "node-x", third.details());
        sql("UPDATE audit_log SET subject = 'node-x', hash = '" + forged + "' WHERE seq = 3");
        AuditVerification result = audit().verify();
        assertThat(result.brokenSeq()).isEqualTo(4);
        assertThat(result.problem()).contains("entry 4 does not follow entry 3");
    }

    @Test
    void aDeletedEntryIsNamed() throws Exception {
        appendFive();
        sql("DELETE FROM audit_log WHERE seq = 2");
        AuditVerification result = audit().verify();
        assertThat(result.intact()).isFalse();
        assertThat(result.brokenSeq()).isEqualTo(2);
        assertThat(result.problem()).contains("entry 2 is missing");
    }

    @Test
    void aDeletedNewestEntryIsNamed() throws Exception {
        appendFive();
        sql("DELETE FROM audit_log WHERE seq = 5");
        AuditVerification result = audit().verify();
        assertThat(result.intact()).isFalse();
        assertThat(result.brokenSeq()).isEqualTo(5);
        assertThat(result.problem()).contains("entry 5 is missing").contains("end");
    }

    @Test
    void reorderedEntriesAreNamed() throws Exception {
        appendFive();
        // Swap entries 2 and 3 (their numbers stay in place; their contents and hashes move).
        sql("UPDATE audit_log SET seq = -2 WHERE seq = 2");
        sql("UPDATE audit_log SET seq = 2 WHERE seq = 3");
        sql("UPDATE audit_log SET seq = 3 WHERE seq = -2");
        AuditVerification result = audit().verify();
        assertThat(result.intact()).isFalse();
        assertThat(result.brokenSeq()).isEqualTo(2);
        assertThat(result.problem()).contains("entry 2");
    }

    @Test
    void retentionPurgesTheOldestAndTheRestStillVerifies() {
        appendFive();
        String thirdHash = audit().page(2, 1).get(0).hash();
        int deleted = audit().purgeOlderThan(T0.plusSeconds(3).plusMillis(500), T0.plusSeconds(10), AuditActor.GATEWAY);
        assertThat(deleted).isEqualTo(3);
        AuditVerification result = audit().verify();
        assertThat(result.intact()).as(result.problem()).isTrue();
        assertThat(result.firstSeq()).isEqualTo(4);
        assertThat(result.entries()).as("entries 4 and 5 and the purge's own").isEqualTo(3);
        assertThat(audit().head().anchorHash()).isEqualTo(thirdHash);
        AuditEntry purge = audit().page(5, 10).get(0);
        assertThat(purge.action()).isEqualTo("audit.purged");
        assertThat(purge.details()).containsEntry("deleted", "3").containsEntry("through_seq", "3")
                .containsEntry("anchor_hash", thirdHash);
        assertThat(audit().purgeOlderThan(T0.plusSeconds(3), T0.plusSeconds(11), AuditActor.GATEWAY))
                .as("nothing older is left").isZero();
    }

    @Test
    void deletingThePurgedAnchorsSuccessorIsStillFound() throws Exception {
        appendFive();
        audit().purgeOlderThan(T0.plusSeconds(2).plusMillis(500), T0.plusSeconds(10), AuditActor.GATEWAY);
        sql("DELETE FROM audit_log WHERE seq = 3");
        AuditVerification result = audit().verify();
        assertThat(result.brokenSeq()).isEqualTo(3);
    }

    @Test
    void aCutOffTailWithARewrittenHeadVerifiesButLosesTheRecordedHead() throws Exception {
        appendFive();
        String recorded = audit().verify().headHash();
        assertThat(audit().seqOfHash(recorded)).contains(5L);
        assertThat(audit().seqOfHash(AuditChain.GENESIS)).as("the anchor of a log never purged").contains(0L);
        String fourth = audit().page(3, 1).get(0).hash();
        sql("DELETE FROM audit_log WHERE seq = 5");
        sql("UPDATE audit_head SET last_seq = 4, last_hash = '" + fourth + "' WHERE id = 1");
        assertThat(audit().verify().intact()).as("the chain alone cannot show a cut-off tail").isTrue();
        assertThat(audit().seqOfHash(recorded)).as("but the head recorded earlier is gone").isEmpty();
    }

    @Test
    void pagesAreBounded() {
        assertThatThrownBy(() -> audit().page(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> audit().page(0, AuditLogRepository.MAX_PAGE + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> audit().page(-1, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Two stores on one database stand for two gateway processes: each has its own pool and connections. */
    @Test
    void twoWritersAtOnceFormOneChain() throws Exception {
        int perWriter = 40;
        try (Store other = Store.open(settings)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> runs = new ArrayList<>();
            try {
                for (Store writer : List.of(store, other)) {
                    for (int thread = 0; thread < 2; thread++) {
                        int t = thread;
                        runs.add(pool.submit(() -> {
                            start.await();
                            for (int i = 0; i < perWriter / 2; i++) {
                                writer.auditLog().append(AuditEvent.of(AuditActor.GATEWAY, AuditAction.CONFIG_LOADED,
                                        "writer-" + System.identityHashCode(writer) + "-" + t), Instant.now());
                            }
                            return null;
                        }));
                    }
                }
                start.countDown();
                for (Future<?> run : runs) {
                    run.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
        AuditVerification result = audit().verify();
        assertThat(result.intact()).as(result.problem()).isTrue();
        assertThat(result.entries()).isEqualTo(2L * perWriter);
        assertThat(result.headSeq()).isEqualTo(2L * perWriter);
    }
}
