package dev.veil.protocol.e2ee;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceiptUsageEstimatedTest {

    private static Receipt receipt(boolean estimated) {
        return new Receipt(1, "nk", "m", "/v1/chat/completions", "aa", "bb", 12, 7, 1_700_000_000L, estimated);
    }

    @Test
    void theMarkIsWrittenOnlyWhenTheCountsAreTheNodesOwn() throws Exception {
        String plain = new String(receipt(false).toJson(), StandardCharsets.UTF_8);
        assertThat(plain).doesNotContain("usage_estimated");
        assertThat(plain).isEqualTo(new String(new Receipt(1, "nk", "m", "/v1/chat/completions", "aa", "bb", 12, 7,
                1_700_000_000L).toJson(), StandardCharsets.UTF_8));
        assertThat(Receipt.parse(receipt(false).toJson()).usageEstimated()).isFalse();

        byte[] estimated = receipt(true).toJson();
        assertThat(new String(estimated, StandardCharsets.UTF_8)).endsWith(",\"usage_estimated\":true}");
        assertThat(Receipt.parse(estimated)).isEqualTo(receipt(true));
    }
}
