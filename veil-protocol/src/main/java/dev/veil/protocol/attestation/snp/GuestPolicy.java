package dev.veil.protocol.attestation.snp;

/**
 * The guest policy a VM was launched with (report field POLICY, SEV-SNP ABI "GUEST_POLICY"); bit positions as in
 * {@code google/go-sev-guest} {@code abi/abi.go}.
 *
 * @param bits the raw 64-bit field
 */
public record GuestPolicy(long bits) {

    static final int SMT_BIT = 16;
    static final int RESERVED_ONE_BIT = 17;
    static final int MIGRATE_MA_BIT = 18;
    static final int DEBUG_BIT = 19;
    static final int SINGLE_SOCKET_BIT = 20;
    /** Highest defined bit (PAGE_SWAP_DISABLE); bits above must be zero. */
    static final int HIGHEST_DEFINED_BIT = 25;

    /** Minimum ABI minor version the guest requires. */
    public int abiMinor() {
        return (int) (bits & 0xff);
    }

    /** Minimum ABI major version the guest requires. */
    public int abiMajor() {
        return (int) ((bits >>> 8) & 0xff);
    }

    /** Whether simultaneous multithreading is allowed. */
    public boolean smt() {
        return bit(SMT_BIT);
    }

    /** Whether a migration agent may be associated with the guest. */
    public boolean migrateMa() {
        return bit(MIGRATE_MA_BIT);
    }

    /** Whether the host may debug the guest (read and write its memory): such a guest has no confidentiality. */
    public boolean debug() {
        return bit(DEBUG_BIT);
    }

    /** Whether the guest may run on a single socket only. */
    public boolean singleSocket() {
        return bit(SINGLE_SOCKET_BIT);
    }

    private boolean bit(int n) {
        return (bits & (1L << n)) != 0;
    }
}
