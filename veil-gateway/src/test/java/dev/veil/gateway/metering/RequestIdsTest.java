package dev.veil.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.RequestLogMode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RequestIdsTest {

    @Test
    void idsAreThePrefixAnd32HexDigitsWithTheMillisecondsFirst() {
        String id = RequestIds.at(0x0123456789abL, new Random(7));
        assertThat(id).matches("req_[0-9a-f]{32}").startsWith("req_0123456789ab");
    }

    @Test
    void idsSortLikeTheirCreationTimes() {
        Random random = new Random(1);
        List<String> ids = new ArrayList<>();
        for (long t = 1_700_000_000_000L; t < 1_700_000_000_000L + 5_000; t += 7) {
            ids.add(RequestIds.at(t, random));
        }
        assertThat(ids).isSorted();
    }

    @Test
    void idsOfTheSameMillisecondDifferInTheirRandomPart() {
        var seen = new HashSet<String>();
        for (int i = 0; i < 100_000; i++) {
            seen.add(RequestIds.at(42L, java.util.concurrent.ThreadLocalRandom.current()));
        }
        assertThat(seen).hasSize(100_000);
        assertThat(RequestIds.at(RequestLogMode.FULL, System.currentTimeMillis())).matches("req_[0-9a-f]{32}");
    }

    @Test
    void idsCarryNoFinerTimeThanTheirMode() {
        long t = java.time.Instant.parse("2026-03-04T05:06:07.891Z").toEpochMilli();
        for (RequestLogMode mode : RequestLogMode.values()) {
            String id = RequestIds.at(mode, t);
            assertThat(id).matches("req_[0-9a-f]{32}");
            assertThat(RequestIds.timeOf(id)).as(mode.name()).isEqualTo(mode.truncate(t));
        }
        assertThat(RequestIds.timeOf(RequestIds.at(RequestLogMode.HOUR, t)))
                .isEqualTo(java.time.Instant.parse("2026-03-04T05:00:00Z").toEpochMilli());
        assertThat(RequestIds.timeOf(RequestIds.at(RequestLogMode.FULL, System.currentTimeMillis())) % 1000)
                .as("the default id keeps whole seconds").isZero();
    }

    @Test
    void coarseIdsOfTheSameHourStayUniqueAndUnordered() {
        long t = 1_700_000_000_000L;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(RequestIds.at(RequestLogMode.HOUR, t + i));
        }
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        assertThat(ids).as("arrival order is not in the ids").isNotEqualTo(ids.stream().sorted().toList());
    }
}
