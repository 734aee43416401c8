package dev.veil.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Searches files (text or binary, such as SQLite pages and WAL files) and strings for a marker's bytes. */
final class CanaryScanner {

    private final byte[] marker;

    CanaryScanner(String marker) {
        this.marker = marker.getBytes(StandardCharsets.UTF_8);
    }

    /** Every regular file under {@code root} whose bytes contain the marker. */
    List<Path> filesContaining(Path root) {
        List<Path> hits = new ArrayList<>();
        if (!Files.exists(root)) {
            return hits;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (contains(Files.readAllBytes(file))) {
                    hits.add(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return hits;
    }

    boolean contains(String text) {
        return contains(text.getBytes(StandardCharsets.UTF_8));
    }

    boolean contains(byte[] data) {
        outer:
        for (int i = 0; i <= data.length - marker.length; i++) {
            for (int k = 0; k < marker.length; k++) {
                if (data[i + k] != marker[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
