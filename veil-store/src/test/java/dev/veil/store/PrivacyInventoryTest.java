package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps {@code docs/privacy.md} honest: its stored-data inventory must list exactly the columns the migrated schema
 * has, so a new column cannot ship without its privacy description.
 */
class PrivacyInventoryTest {

    /** Surefire runs with the module directory as working directory. */
    private static final Path PRIVACY_DOC = Path.of("..", "docs", "privacy.md");
    private static final String SECTION = "## Stored data inventory";

    @TempDir
    Path dir;

    @Test
    void inventoryListsExactlyTheSchemaColumns() throws Exception {
        Set<String> documented = documentedColumns(Files.readAllLines(PRIVACY_DOC));
        Set<String> actual = schemaColumns();

        Set<String> undocumented = new TreeSet<>(actual);
        undocumented.removeAll(documented);
        Set<String> stale = new TreeSet<>(documented);
        stale.removeAll(actual);

        assertSoftly(softly -> {
            softly.assertThat(undocumented)
                    .as("columns in the schema but not in " + PRIVACY_DOC + " '" + SECTION + "'").isEmpty();
            softly.assertThat(stale)
                    .as("columns in " + PRIVACY_DOC + " '" + SECTION + "' but not in the schema").isEmpty();
        });
    }

    /** The (table.column) pairs from the inventory table: rows of {@code | table | column | holds | kept for |}. */
    static Set<String> documentedColumns(List<String> lines) {
        List<String> section = sectionLines(lines);
        Set<String> columns = new TreeSet<>();
        for (String line : section) {
            String trimmed = line.trim();
            if (!trimmed.startsWith("|")) {
                continue;
            }
            List<String> cells = cells(trimmed);
            if (cells.size() < 4 || cells.get(0).matches(":?-+:?") || cells.get(0).equalsIgnoreCase("table")) {
                continue; // separator or header row
            }
            String pair = cells.get(0) + "." + cells.get(1);
            assertThat(columns.add(pair)).as("documented twice: " + pair).isTrue();
        }
        assertThat(columns).as("inventory rows under '" + SECTION + "'").isNotEmpty();
        return columns;
    }

    private static List<String> sectionLines(List<String> lines) {
        int start = lines.stream().map(String::trim).toList().indexOf(SECTION);
        assertThat(start).as("heading '" + SECTION + "' in " + PRIVACY_DOC).isNotNegative();
        List<String> section = new ArrayList<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ") || line.startsWith("# ")) {
                break;
            }
            section.add(line);
        }
        return section;
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
        List<String> cells = new ArrayList<>();
        for (String cell : inner.split("\\|", -1)) {
            cells.add(cell.replace("`", "").trim().toLowerCase(Locale.ROOT));
        }
        return cells;
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
