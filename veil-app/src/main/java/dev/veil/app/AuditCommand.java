package dev.veil.app;

import dev.veil.gateway.config.ConfigException;
import dev.veil.store.AuditVerification;
import dev.veil.store.Store;
import dev.veil.store.StoreException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil audit verify}: recomputes the audit log's hash chain in the store and names the first broken entry. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Check the audit log of admin actions.",
        subcommands = {AuditCommand.Verify.class})
final class AuditCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: veil audit verify [--config veil.yaml | --data-dir DIR] (see veil audit --help)");
    }

    /** Exit status: 0 intact, 1 broken (the first broken entry is named), 2 no store or an invalid configuration. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recompute the audit log's hash chain and name the first entry that was edited, deleted or "
                    + "reordered.", "Exit status: 0 intact, 1 broken, 2 no store there or an invalid configuration."})
    static final class Verify implements Callable<Integer> {
        @ArgGroup(exclusive = true)
        KeysCommand.StoreLocation location = new KeysCommand.StoreLocation();

        @Option(names = "--expect-head", paramLabel = "HASH", description = "A head_hash recorded earlier (from this "
                + "command or an export's chain.head_hash): the chain must still hold it, or entries were cut off.")
        String expectedHead;

        @Override
        public Integer call() {
            try (Store store = Store.open(location.settings(false))) {
                AuditVerification result = store.auditLog().verify();
                if (!result.intact()) {
                    System.out.println("veil: the audit log is BROKEN at entry " + result.brokenSeq() + ": "
                            + result.problem());
                    System.out.println("veil: " + result.entries() + " entries checked; the head records entries "
                            + result.firstSeq() + " to " + result.headSeq());
                    return 1;
                }
                if (expectedHead != null) {
                    Optional<Long> seq = store.auditLog().seqOfHash(expectedHead.trim().toLowerCase(Locale.ROOT));
                    if (seq.isEmpty()) {
                        System.out.println("veil: the audit log is BROKEN: the head recorded earlier (" + expectedHead.trim()
                                + ") is not in the chain; entries after it were cut off and the head rewritten, or the "
                                + "chain was rewritten");
                        return 1;
                    }
                    System.out.println("veil: the head recorded earlier is "
                            + (seq.get() == 0 ? "the chain's anchor (purged since, or the empty log's)" : "entry " + seq.get()));
                }
                System.out.println("veil: the audit log is intact: " + result.entries() + " entries"
                        + (result.entries() == 0 ? "" : ", " + result.firstSeq() + " to " + result.headSeq()));
                System.out.println("head_seq=" + result.headSeq());
                System.out.println("head_hash=" + result.headHash());
                return 0;
            } catch (ConfigException e) {
                System.err.println("veil: invalid configuration:\n" + e.getMessage());
                return 2;
            } catch (KeysCommand.NoStoreException e) {
                System.err.println("veil: " + e.getMessage());
                return 2;
            } catch (StoreException e) {
                // The head row missing or a table altered: the log cannot be checked, which is as bad as broken.
                System.out.println("veil: the audit log is BROKEN: it could not be read (" + e.getMessage() + ")");
                return 1;
            }
        }
    }
}
