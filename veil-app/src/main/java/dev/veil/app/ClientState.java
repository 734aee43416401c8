package dev.veil.app;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the client-side commands ({@code veil proxy}, {@code veil log}) keep what they must remember between runs: the
 * transparency log's tree heads they accepted. {@code $VEIL_STATE_DIR} when set, else {@code ~/.veil}; each command's
 * {@code --state-dir} overrides it.
 */
final class ClientState {

    static final String ENV = "VEIL_STATE_DIR";

    private ClientState() {
    }

    /** The state directory: {@code dir} when given, else the environment's or the default. */
    static Path dir(Path dir, Map<String, String> env) {
        if (dir != null) {
            return dir;
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv.trim());
        }
        return Path.of(System.getProperty("user.home"), ".veil");
    }
}
