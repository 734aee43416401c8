package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreSettingsTest {

    @TempDir
    Path dir;

    @Test
    void sqliteCreatesParentDirectoriesAndUsesAnAbsolutePath() {
        Path file = dir.resolve("a/b/veil.db");

        StoreSettings settings = StoreSettings.sqlite(file);

        assertThat(Files.isDirectory(dir.resolve("a/b"))).isTrue();
        assertThat(settings.jdbcUrl()).isEqualTo("jdbc:sqlite:" + file.toAbsolutePath());
        assertThat(settings.vendor()).isEqualTo("sqlite");
    }

    @Test
    void toStringRedactsThePasswordAndUrlQuery() {
        StoreSettings settings = new StoreSettings("jdbc:postgresql://db/veil?password=hunter2", "veil", "s3cret", 8);

        assertThat(settings.toString()).doesNotContain("hunter2", "s3cret").contains("jdbc:postgresql://db/veil");
        assertThat(settings.vendor()).isEqualTo("postgresql");
    }

    @Test
    void rejectsUnsupportedUrlsWithoutEchoingThem() {
        StoreSettings settings = new StoreSettings("jdbc:mysql://db/veil?password=hunter2", null, null, 1);

        assertThatThrownBy(settings::vendor).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("hunter2");
    }

    @Test
    void rejectsInMemorySqlite() {
        assertThatThrownBy(() -> Store.open(new StoreSettings("jdbc:sqlite::memory:", null, null, 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
