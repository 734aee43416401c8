package dev.veil.client.transparency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.transparency.InvalidProof;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tree heads kept on disk between runs: a JSON file {@code {"version": 1, "heads": [head, ...]}}, each head in the
 * shape of {@code GET /v1/transparency/head}. Heads are public (no secret is kept), but they are evidence: a file that
 * cannot be read, is not this format, or holds a head whose signature does not verify with the key it names is an
 * error, never an empty start, so a client never forgets silently what it saw. Writes go to a temporary file in the
 * same directory, moved over the old one, so a crash leaves the old or the new file, never half of one.
 */
public final class HeadFile {

    /** A kept-heads file is small; one larger than this is refused unread. */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path file;

    /** The file at {@code file} (it need not exist yet). */
    public HeadFile(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    /** Where the heads are kept. */
    public Path path() {
        return file;
    }

    /**
     * The heads in the file, in the order they were written; empty when the file does not exist.
     *
     * @throws IOException the file cannot be read, is too large, is not a heads file, or holds a head that does not
     *                     verify (the message names the file and what is wrong)
     */
    public List<LogHead> read() throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException(file + " is larger than " + MAX_BYTES + " bytes: not a tree heads file");
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IOException(file + " is not valid JSON: it should hold the tree heads this client accepted; "
                    + "restore it, or remove it to start again without that history");
        }
        JsonNode heads = root == null ? null : root.get("heads");
        if (root == null || root.path("version").asInt() != 1 || heads == null || !heads.isArray()) {
            throw new IOException(file + " is not a tree heads file (version 1 with a \"heads\" array)");
        }
        List<LogHead> out = new ArrayList<>(heads.size());
        for (JsonNode h : heads) {
            try {
                LogHead head = LogHead.fromJson(h);
                head.verify(null);
                out.add(head);
            } catch (InvalidProof e) {
                throw new IOException(file + " holds a tree head that does not verify (" + e.getMessage()
                        + "): the file was altered; restore it, or remove it to start again without that history");
            }
        }
        return out;
    }

    /** Replaces the file's heads with {@code heads}, creating the directory when needed. */
    public void write(List<LogHead> heads) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode array = root.putArray("heads");
        heads.forEach(h -> array.add(h.toJson()));
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
