package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code redis:} section: off by default, fail closed by default, secrets only by reference. */
class RedisConfigTest {

    @Test
    void withoutARedisSectionLimitsStayInEachInstance() {
        RedisConfig redis = ConfigLoader.parse("", Map.of()).redis();
        assertThat(redis.enabled()).isFalse();
        assertThat(redis.failMode()).isEqualTo(RedisConfig.FAIL_CLOSED);
        assertThat(redis.timeoutMs()).isEqualTo(RedisConfig.DEFAULT_TIMEOUT_MS);
    }

    @Test
    void aRedisSectionIsReadAndFailsClosedUnlessToldOtherwise() {
        RedisConfig redis = ConfigLoader.parse("redis: {url: 'redis://valkey:6379/1', password_env: VALKEY_PASSWORD}",
                Map.of()).redis();
        assertThat(redis.enabled()).isTrue();
        assertThat(redis.url()).isEqualTo("redis://valkey:6379/1");
        assertThat(redis.failMode()).isEqualTo("fail_closed");
        assertThat(redis.password(Map.of("VALKEY_PASSWORD", "pw"))).hasValue("pw");
        assertThat(ConfigLoader.parse("redis: {url: 'redis://v:6379', fail_mode: fail_open}", Map.of()).redis().failMode())
                .isEqualTo("fail_open");
    }

    @Test
    void theUrlCanComeFromTheEnvironment() {
        assertThat(ConfigLoader.parse("", Map.of("VEIL_REDIS__URL", "redis://valkey:6379")).redis().url())
                .isEqualTo("redis://valkey:6379");
    }

    @Test
    void badValuesAreNamedWithoutEchoingSecrets() {
        assertThat(ConfigValidationTest.problems("redis: {url: 'redis://:hunter2@valkey:6379'}"))
                .singleElement().satisfies(p -> assertThat(p).startsWith("redis.url: must not contain a user or password")
                        .doesNotContain("hunter2"));
        assertThat(ConfigValidationTest.problems("redis: {url: 'redis://default@valkey:6379'}"))
                .singleElement().satisfies(p -> assertThat(p).startsWith("redis.url: must not contain"));
        assertThat(ConfigValidationTest.problems("redis: {url: 'http://valkey:6379'}"))
                .containsExactly("redis.url: must be a redis:// or rediss:// URL (e.g. redis://valkey:6379), or be left "
                        + "out to count limits in each instance's memory");
        assertThat(ConfigValidationTest.problems("redis: {url: 'redis://v:6379', fail_mode: open, timeout_ms: 0}"))
                .containsExactlyInAnyOrder("redis.timeout_ms: must be between 1 and 10000",
                        "redis.fail_mode: must be fail_closed (keys with limits are refused with 503 while Redis is "
                                + "unreachable) or fail_open (each instance counts in its own memory meanwhile)");
        assertThat(ConfigValidationTest.problems("redis: {url: 'redis://v:6379', password: hunter2}"))
                .singleElement().satisfies(p -> assertThat(p).startsWith("redis.password").doesNotContain("hunter2"));
    }
}
