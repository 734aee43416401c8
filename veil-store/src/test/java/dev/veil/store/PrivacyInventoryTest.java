package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the privacy inventory honest. {@link PrivacyInventory} (what {@code GET /v1/privacy} serves) must list exactly
 * the columns the migrated schema has, so a new column cannot ship without its privacy description; and the tables of
 * {@code docs/privacy.md} between its {@code BEGIN GENERATED} markers must be what the inventory renders to, so the
 * page cannot drift from the endpoint. On a mismatch the expected text is written to
 * {@code target/generated-docs/privacy-<section>.md} to paste in.
 */
class PrivacyInventoryTest {

    /** Surefire runs with the module directory as working directory. */
    private static final Path PRIVACY_DOC = Path.of("..", "docs", "privacy.md");
    private static final Path GENERATED = Path.of("target", "generated-docs");

    @TempDir
    Path dir;

    @Test
    void inventoryListsExactlyTheSchemaColumns() throws Exception {
        Set<String> listed = new TreeSet<>();
        for (PrivacyInventory.Table table : PrivacyInventory.tables()) {
            for (PrivacyInventory.Field field : table.fields()) {
                assertThat(listed.add(table.table() + "." + field.name())).as("listed twice: " + table.table() + "."
                        + field.name()).isTrue();
                assertThat(field.meaning()).as(table.table() + "." + field.name()).isNotBlank();
            }
            assertThat(table.retention()).as(table.table()).isNotBlank();
            assertThat(table.purpose()).as(table.table()).isNotBlank();
        }
        Set<String> actual = schemaColumns();

        Set<String> undescribed = new TreeSet<>(actual);
        undescribed.removeAll(listed);
        Set<String> stale = new TreeSet<>(listed);
        stale.removeAll(actual);

        assertSoftly(softly -> {
            softly.assertThat(undescribed).as("columns in the schema but not in PrivacyInventory").isEmpty();
            softly.assertThat(stale).as("columns in PrivacyInventory but not in the schema").isEmpty();
        });
    }

    @Test
    void everyModeIsDescribedForEveryone() {
        assertThat(PrivacyInventory.modes()).extracting(PrivacyInventory.Mode::mode)
                .containsExactly("anonymized", "private", "tee", "e2ee");
        assertThat(PrivacyInventory.modes()).allSatisfy(mode -> {
            assertThat(mode.provider()).isNotBlank();
            assertThat(mode.operator()).isNotBlank();
            assertThat(mode.node()).isNotBlank();
            assertThat(mode.restsOn()).isNotBlank();
        });
    }

    @Test
    void thePrivacyPageShowsTheInventory() throws Exception {
        String doc = Files.readString(PRIVACY_DOC);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("inventory", inventoryMarkdown());
        expected.put("modes", modesMarkdown());
        expected.put("retention", retentionMarkdown());
        List<String> drifted = new ArrayList<>();
        for (Map.Entry<String, String> section : expected.entrySet()) {
            String begin = "<!-- BEGIN GENERATED: " + section.getKey() + " (PrivacyInventory; edit it there) -->\n";
            String end = "<!-- END GENERATED: " + section.getKey() + " -->";
            int from = doc.indexOf(begin);
            int to = doc.indexOf(end);
            assertThat(from).as("marker '" + begin.strip() + "' in " + PRIVACY_DOC).isNotNegative();
            assertThat(to).as("marker '" + end + "' in " + PRIVACY_DOC).isGreaterThan(from);
            if (!doc.substring(from + begin.length(), to).equals(section.getValue())) {
                Files.createDirectories(GENERATED);
                Files.writeString(GENERATED.resolve("privacy-" + section.getKey() + ".md"), section.getValue());
                drifted.add(section.getKey());
            }
        }
        assertThat(drifted).as("sections of " + PRIVACY_DOC + " that differ from PrivacyInventory (the expected text is "
                + "in veil-store/" + GENERATED + ")").isEmpty();
    }

    static String inventoryMarkdown() {
        StringBuilder md = new StringBuilder("| table | column | what it holds |\n|-------|--------|---------------|\n");
        for (PrivacyInventory.Table table : PrivacyInventory.tables()) {
            for (PrivacyInventory.Field field : table.fields()) {
                md.append("| `").append(table.table()).append("` | `").append(field.name()).append("` | ")
                        .append(field.meaning()).append(" |\n");
            }
        }
        md.append("\n| table | what it is for | kept for |\n|-------|----------------|----------|\n");
        for (PrivacyInventory.Table table : PrivacyInventory.tables()) {
            md.append("| `").append(table.table()).append("` | ").append(table.purpose()).append(" | ")
                    .append(table.retention()).append(" |\n");
        }
        return md.toString();
    }

    static String modesMarkdown() {
        StringBuilder md = new StringBuilder("| mode | rests on | the provider sees | the Veil operator sees | "
                + "a Veil node sees |\n|---|---|---|---|---|\n");
        for (PrivacyInventory.Mode mode : PrivacyInventory.modes()) {
            md.append("| `").append(mode.mode()).append("` | ").append(mode.restsOn()).append(" | ")
                    .append(mode.provider()).append(" | ").append(mode.operator()).append(" | ").append(mode.node())
                    .append(" |\n");
        }
        return md.toString();
    }

    static String retentionMarkdown() {
        StringBuilder md = new StringBuilder("| what | where | kept |\n|---|---|---|\n");
        for (PrivacyInventory.Elsewhere item : PrivacyInventory.elsewhere()) {
            md.append("| ").append(item.what()).append(" | ").append(item.where()).append(" | ")
                    .append(item.retention()).append(" |\n");
        }
        for (PrivacyInventory.Table table : PrivacyInventory.tables()) {
            md.append("| ").append(table.purpose()).append(" | store, `").append(table.table()).append("` | ")
                    .append(table.retention()).append(" |\n");
        }
        return md.toString();
    }

    private Set<String> schemaColumns() throws Exception {
        Set<String> columns = new TreeSet<>();
        try (Store store = Store.open(StoreSettings.sqlite(dir.resolve("inventory.db")));
             Connection connection = store.dataSource().getConnection()) {
            DatabaseMetaData meta = connection.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rows.next()) {
                    String table = rows.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                    if (!table.equals("flyway_schema_history") && !table.startsWith("sqlite_")) {
                        tables.add(table);
                    }
                }
            }
            assertThat(tables).as("tables in the migrated schema").isNotEmpty();
            for (String table : tables) {
                try (ResultSet rows = meta.getColumns(null, null, table, "%")) {
                    while (rows.next()) {
                        columns.add(table + "." + rows.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return columns;
    }
}
