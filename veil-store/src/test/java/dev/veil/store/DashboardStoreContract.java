package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.RequestLogMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the dashboard reads and keeps in the store, run on every vendor through {@link StoreContract}. */
interface DashboardStoreContract {

    Store store();

    Instant AT = Instant.parse("2026-06-01T12:00:00Z");

    private static RequestRecord row(int i, String key, String model, int status) {
        return new RequestRecord("req_" + String.format("%032x", i), key, AT.plusSeconds(i), "chat.completions", model,
                "route-" + model, "private", status, 100 + i, null, 1, 2, 3, 4, RequestLogMode.FULL);
    }

    @Test
    default void sessionsAreFoundByTheirHashUntilTheyExpireOrEnd() {
        DashboardSessionRepository sessions = store().dashboardSessions();
        sessions.insert(new DashboardSession("a".repeat(64), DashboardSession.OPERATOR, null, AT, AT.plusSeconds(60)));
        sessions.insert(new DashboardSession("b".repeat(64), DashboardSession.KEY_OWNER, "key_1", AT, AT.plusSeconds(10)));
        assertThat(sessions.findLive("a".repeat(64), AT.plusSeconds(30))).hasValueSatisfying(s -> {
            assertThat(s.role()).isEqualTo(DashboardSession.OPERATOR);
            assertThat(s.keyId()).isNull();
        });
        assertThat(sessions.findLive("b".repeat(64), AT.plusSeconds(5)).orElseThrow().keyId()).isEqualTo("key_1");
        assertThat(sessions.findLive("b".repeat(64), AT.plusSeconds(10))).as("expired").isEmpty();
        assertThat(sessions.findLive("c".repeat(64), AT)).as("unknown").isEmpty();
        assertThat(sessions.purgeExpired(AT.plusSeconds(30))).isEqualTo(1);
        assertThat(sessions.delete("a".repeat(64))).isTrue();
        assertThat(sessions.findLive("a".repeat(64), AT)).as("logged out").isEmpty();
    }

    @Test
    default void requestLogPagesFollowTheirCursorAndFilters() {
        List<RequestRecord> rows = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            rows.add(row(i, i % 2 == 0 ? "key_even" : "key_odd", i < 20 ? "m1" : "m2", i % 5 == 0 ? 502 : 200));
        }
        store().requests().insertAll(rows);
        RequestLogQuery all = new RequestLogQuery(null, null, null, null, null, AT, AT.plusSeconds(3600));
        List<String> seen = new ArrayList<>();
        Instant afterAt = null;
        String afterId = null;
        while (true) {
            List<RequestRecord> page = store().requests().page(all, afterAt, afterId, 10);
            page.forEach(r -> seen.add(r.requestId()));
            if (page.size() < 10) {
                break;
            }
            afterAt = page.get(9).createdAt();
            afterId = page.get(9).requestId();
        }
        assertThat(seen).hasSize(25).doesNotHaveDuplicates().first().isEqualTo(rows.get(24).requestId());
        assertThat(store().requests().page(new RequestLogQuery("key_even", "m1", null, null, 5, AT,
                AT.plusSeconds(3600)), null, null, 100)).extracting(RequestRecord::requestId)
                .containsExactly(rows.get(10).requestId(), rows.get(0).requestId());
        assertThat(store().requests().page(new RequestLogQuery(null, null, "route-m2", 200, null, AT,
                AT.plusSeconds(3600)), null, null, 100)).hasSize(4);
        assertThat(store().requests().page(new RequestLogQuery(null, null, null, null, null, AT.plusSeconds(5),
                AT.plusSeconds(7)), null, null, 100)).hasSize(2);
        List<RequestRecord> scanned = new ArrayList<>();
        assertThat(store().requests().scan(all, 7, scanned::add)).isEqualTo(7);
        assertThat(scanned.get(0).requestId()).as("newest first").isEqualTo(rows.get(24).requestId());
    }
}
