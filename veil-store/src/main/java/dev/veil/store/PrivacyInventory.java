package dev.veil.store;

import java.util.List;
import java.util.Optional;

/**
 * Everything Veil stores and what each privacy mode shows to whom: the single source of the privacy inventory. The
 * gateway serves it as {@code GET /v1/privacy}, {@code docs/privacy.md} shows it (a test checks that the page says
 * the same), and {@code PrivacyInventoryTest} checks it against the migrated schema: a column without an entry here,
 * or an entry without a column, fails the build. Texts may hold Markdown code spans in backticks.
 */
public final class PrivacyInventory {

    /**
     * A table of the store.
     *
     * @param table            its name
     * @param purpose          what it is for
     * @param retention        how long its rows are kept, in words
     * @param retentionSetting the configuration setting (in days) that governs it, or null when none does
     * @param fields           every column, in schema order
     */
    public record Table(String table, String purpose, String retention, String retentionSetting, List<Field> fields) {
        public Table {
            fields = List.copyOf(fields);
        }
    }

    /**
     * A column of a table.
     *
     * @param name    the column's name
     * @param meaning what it holds
     */
    public record Field(String name, String meaning) {
    }

    /**
     * Something Veil keeps outside its database.
     *
     * @param what      what it is
     * @param where     where it is kept
     * @param retention how long
     */
    public record Elsewhere(String what, String where, String retention) {
    }

    /**
     * What one privacy mode shows to whom. Modes nest: each gives every guarantee of the ones before it.
     *
     * @param mode      the mode's wire name
     * @param restsOn   what the mode's promise rests on
     * @param provider  what the provider running the model sees
     * @param operator  what the Veil operator (the gateway and its store) sees
     * @param node      what a Veil node sees, where one serves the route
     */
    public record Mode(String mode, String restsOn, String provider, String operator, String node) {
    }

    private static final String METADATA = "In every mode the store holds only the metadata listed in the tables, never "
            + "content, and the provider never gets the caller's API key, address or identity fields.";

    private static final List<Table> TABLES = List.of(
            table("api_keys", "The API keys callers authenticate with, as hashes, and their policies",
                    "Until the key is revoked, then kept as a record that the key existed",
                    null,
                    field("id", "Public key id, `key_` plus 16 random hex characters"),
                    field("name", "Label the operator gave the key"),
                    field("secret_hash", "Lowercase hex SHA-256 of the key's secret (never the secret)"),
                    field("secret_hint", "Last four characters of the secret"),
                    field("created_at", "When the key was issued"),
                    field("revoked_at", "When the key was revoked; empty while active"),
                    field("policy", "The key's policy as JSON set by the operator: preset, minimum privacy mode, allowed model ids, route names and jurisdictions, budget and period, rate and concurrency limits, request log mode and retention; empty for an unrestricted key")),
            table("request_log", "One row of counters per request (or a row with a coarser time, for keys whose request log is minimised)",
                    "`store.retention_days` (default 30), or the key's shorter `request_log_retention_days`; purged hourly",
                    "store.retention_days",
                    field("request_id", "Gateway-generated request id: the arrival time cut to the key's request log unit (the second; the minute or hour for a key in that mode) and 80 random bits"),
                    field("key_id", "Id of the API key that made the request"),
                    field("created_at", "When the request arrived, to the second; cut to the minute or hour for a key in that mode"),
                    field("endpoint", "Fixed endpoint label: `chat.completions`, `completions`, `embeddings`, `responses` or `messages`, or for a batch line `batch.chat.completions`, `batch.completions`, `batch.embeddings` or `batch.responses`"),
                    field("model", "Public model id as configured by the operator (a placeholder for unknown models)"),
                    field("route", "Name of the configured route that served the request, if any"),
                    field("mode", "Privacy mode applied (`anonymized`, `private`, `tee`, `e2ee`), if any"),
                    field("status", "HTTP status returned to the caller"),
                    field("latency_ms", "Total time taken, in milliseconds"),
                    field("ttft_ms", "Time to first token for streamed responses, in milliseconds"),
                    field("prompt_tokens", "Number of prompt tokens (a count, not the tokens)"),
                    field("completion_tokens", "Number of completion tokens (a count, not the tokens)"),
                    field("total_tokens", "Prompt plus completion token count"),
                    field("cost_micros", "Cost of the request in millionths of a US dollar"),
                    field("usage_estimated", "1 when the token counts are Veil's own count because the upstream reported no usage (see Token counts), 0 when they are the upstream's figures")),
            table("request_totals", "Daily totals kept instead of `request_log` rows for keys in `daily_totals` mode",
                    "Until its day ended longer ago than the key's request log retention (`store.retention_days`, default 30, or the key's shorter one); purged hourly",
                    "store.retention_days",
                    field("key_id", "Id of the API key the totals belong to (a key in `daily_totals` mode)"),
                    field("day", "UTC day of the totals, `yyyy-MM-dd`"),
                    field("endpoint", "Fixed endpoint label, as in `request_log`"),
                    field("model", "Public model id as configured by the operator (a placeholder for unknown models)"),
                    field("route", "Name of the configured route that served the requests; empty when none was chosen"),
                    field("status_class", "Class of the HTTP status returned: `2xx`, `4xx`, `5xx`"),
                    field("requests", "Number of requests (a count)"),
                    field("prompt_tokens", "Sum of prompt token counts"),
                    field("completion_tokens", "Sum of completion token counts"),
                    field("total_tokens", "Sum of total token counts"),
                    field("cost_micros", "Sum of costs, in millionths of a US dollar")),
            table("usage_ledger", "Daily usage per key and model, for billing, budgets and `/v1/usage`",
                    "Kept for billing",
                    null,
                    field("key_id", "Id of the API key the totals belong to"),
                    field("day", "UTC day of the totals, `yyyy-MM-dd`"),
                    field("model", "Public model id as configured by the operator"),
                    field("requests", "Number of requests that day"),
                    field("prompt_tokens", "Sum of prompt token counts that day"),
                    field("completion_tokens", "Sum of completion token counts that day"),
                    field("cost_micros", "Sum of costs that day, in millionths of a US dollar")),
            table("batch_files", "Files of the Files API: their metadata (the content is on disk, encrypted)",
                    "Until the file is deleted: by the client, when its batch ends (inputs), or `batch.output_ttl_hours` (default 24) after its batch ended (outputs)",
                    null,
                    field("id", "Public file id, `file-` plus 24 random hex characters"),
                    field("key_id", "Id of the API key that owns the file"),
                    field("purpose", "`batch` (an uploaded input) or `batch_output` (a batch's output or error file)"),
                    field("status", "`uploading`, `processed` (readable) or `pending` (an output still being written)"),
                    field("name_sealed", "The file name the client gave, encrypted with the file's own data key (AES-256-GCM); unreadable once the file's key is deleted"),
                    field("bytes", "Size of the file's content in bytes (a count)"),
                    field("parts", "How many encrypted parts on disk make up the file (a count)"),
                    field("client_sealed", "Whether the content is encrypted to a key only the client holds (1) or not (0)"),
                    field("batch_id", "The batch that uses this input or produced this output; empty for an unused input"),
                    field("created_at", "When the file was uploaded or created"),
                    field("expires_at", "When the file is deleted at the latest; empty while a batch holds its input")),
            table("batch_file_keys", "Each file's data key, wrapped by the operator's master key",
                    "Until the file is deleted: this row is deleted first (crypto-shredding)",
                    null,
                    field("file_id", "The file the key encrypts"),
                    field("key_ref", "Random id of the data key (`fk_` plus hex); its SHA-256 is named on the deletion receipt"),
                    field("wrapped_key", "The file's 256-bit data key, encrypted with a key derived from the operator's master key (AES-256-GCM, the file id as associated data); useless without the master key"),
                    field("created_at", "When the key was made")),
            table("batch_file_shreds", "A record that a file's key was destroyed, to answer a repeated `DELETE` with its receipt",
                    "30 days after the shredding",
                    null,
                    field("file_id", "A shredded file's id"),
                    field("key_id", "The API key that owned the file (only it may ask for the receipt again)"),
                    field("key_ref", "The destroyed data key's random id (not the key), named by its SHA-256 on the receipt"),
                    field("deleted_at", "When the key was destroyed")),
            table("batch_file_chunks", "The encrypted content of batch files when `batch.storage` is `database` (so that every gateway instance can read them); empty with the default `local` storage",
                    "Until the file is deleted: after its key row in `batch_file_keys` (crypto-shredding), in the same step",
                    null,
                    field("file_id", "The file the chunk belongs to"),
                    field("part", "Which part of the file (a part is one encrypted stream; a count from 0)"),
                    field("seq", "Which chunk of the part (a count from 0)"),
                    field("data", "At most 1 MiB of the part's ciphertext, encrypted under the file's own data key (AES-256-GCM segments); unreadable without that key, which is itself wrapped by the master key")),
            table("transparency_log", "The append-only log of node identities the gateway admitted (RFC 9162)",
                    "For the life of the log: never deleted (a deleted entry would break every tree head clients hold)",
                    null,
                    field("leaf_index", "The entry's position in the append-only log"),
                    field("leaf_hash", "SHA-256 leaf hash of the entry (RFC 9162)"),
                    field("entry", "A node identity the gateway admitted (node name, attestation format, measurement, key ids, signing key, declaration) or the log's own key: about infrastructure, never about a request, a client or an API key"),
                    field("created_at", "When the entry was appended")),
            table("join_tokens", "Join tokens the operator issued so that nodes may join (docs/network.md), as hashes",
                    "Until the operator deletes the store; revoked tokens are kept to explain past joins",
                    null,
                    field("id", "The join token's id (`jt_` plus 16 hex characters), not the token"),
                    field("token_hash", "SHA-256 of the token; the token itself is shown once, at creation"),
                    field("label", "The operator's name for the token"),
                    field("models", "The public model ids a node joining with it may serve"),
                    field("created_at", "When it was issued"),
                    field("expires_at", "When it stops admitting joins (none = never)"),
                    field("revoked_at", "When the operator revoked it"),
                    field("used_at", "When a node joined with it (a token admits one join)")),
            table("node_registrations", "Nodes that joined with a join token: where they are and what they serve",
                    "Until the operator deletes the store; ended registrations are kept to explain past routing",
                    null,
                    field("id", "The registration id (`nr_` plus 16 hex characters), also the name of its routes"),
                    field("token_id", "The join token it joined with"),
                    field("name", "The name the node gave (infrastructure, not a user)"),
                    field("base_url", "Where the gateway reaches the node"),
                    field("models", "The public model ids it serves"),
                    field("state", "`active`, `left`, `lost` or `banned`"),
                    field("joined_at", "When it joined"),
                    field("updated_at", "When its state last changed")),
            table("batches", "Batches of the Batches API",
                    "Until `batch.output_ttl_hours` (default 24) after the batch ended",
                    null,
                    field("id", "Public batch id, `batch_` plus 24 random hex characters"),
                    field("key_id", "Id of the API key that created the batch"),
                    field("endpoint", "`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` or `/v1/responses`"),
                    field("completion_window", "Always `24h`"),
                    field("input_file_id", "Id of the input file (which is deleted when the batch ends)"),
                    field("output_file_id", "Id of the output file, if any"),
                    field("error_file_id", "Id of the error file, if any"),
                    field("status", "`validating`, `in_progress`, `finalizing`, `completed`, `failed`, `expired`, `cancelling` or `cancelled`"),
                    field("metadata_sealed", "The client's `metadata` object (including a `privacy` policy), encrypted with a key derived from the master key and the batch id (AES-256-GCM)"),
                    field("client_public_key", "The client's X25519 public key for client-held keys, if given (a public key, not a secret)"),
                    field("output_ttl_ms", "How long the output and error files are kept, in milliseconds"),
                    field("total", "Number of requests (non-empty lines) in the input (a count)"),
                    field("completed", "Number of requests answered with a 2xx (a count)"),
                    field("failed", "Number of requests that failed (a count)"),
                    field("next_line", "Input lines done and committed: where a restarted gateway resumes (a count)"),
                    field("error_code", "A fixed Veil code when the batch failed as a whole (e.g. `input_unreadable`), never a message"),
                    field("created_at", "When the batch was created"),
                    field("in_progress_at", "When it started running"),
                    field("finalizing_at", "When its last request finished"),
                    field("completed_at", "When it completed"),
                    field("failed_at", "When it failed"),
                    field("expired_at", "When it expired"),
                    field("cancelling_at", "When its cancellation was asked for"),
                    field("cancelled_at", "When it was cancelled"),
                    field("expires_at", "End of its completion window (created plus 24 h)"),
                    field("lease_owner", "The gateway instance running the batch now (its host name, process id and random bits; nothing of the client); empty when no instance holds it"),
                    field("lease_until", "When that instance's lease lapses unless it renews it (another instance then takes the batch over)"),
                    field("lease_epoch", "How many times an instance has claimed the batch (a count)")),
            table("audit_log", "The hash-chained audit log of admin actions",
                    "`store.audit_retention_days` (default 365; 0 keeps every entry); purged hourly",
                    "store.audit_retention_days",
                    field("seq", "Position of the entry in the hash chain: 1, 2, 3 ... without gaps"),
                    field("created_at", "When the action was recorded"),
                    field("actor", "Who acted, as a fixed label: `admin_api` (the admin token), `cli` (`veil keys`, `veil demo`), `gateway` (the gateway on its own) or `store` (code using the store directly); never a person's name or an address"),
                    field("action", "What was done, a fixed name: `key.created`, `key.revoked`, `key.policy_changed`, `node.admitted`, `node.banned`, `node.dropped`, `join_token.issued`, `config.loaded`, `audit.purged`"),
                    field("subject", "What it was done to: an API key id, a node's configured name, a gateway instance's random id for one run; empty when nothing in particular"),
                    field("details", "A few named values: a new key's name and policy, a changed policy, a node's attestation format, measurement and key id, a drop's reason as a fixed phrase and error code, a configuration's SHA-256 fingerprint and counts of models, routes and upstreams. Never a key secret or hash, never request content"),
                    field("prev_hash", "SHA-256 of the entry before it (hex), linking the chain"),
                    field("hash", "SHA-256 over `prev_hash` and this entry (hex)")),
            table("audit_head", "The audit log chain's head: where the kept chain starts and its newest entry",
                    "As long as the store",
                    null,
                    field("id", "Always `1`: the table has one row"),
                    field("first_seq", "Seq of the oldest kept entry (moves when retention purges)"),
                    field("anchor_hash", "The hash the oldest kept entry must name as `prev_hash` (the last purged entry's hash)"),
                    field("last_seq", "Seq of the newest entry"),
                    field("last_hash", "Hash of the newest entry")),
            table("key_changes", "A counter of key revocations and policy changes that every gateway instance polls",
                    "As long as the store",
                    null,
                    field("id", "Always `1`: the table has one row"),
                    field("version", "How many key revocations and policy changes the store has seen (a count); gateway instances poll it to drop cached keys")),
            table("dashboard_sessions", "Sessions of the dashboard at `/ui`, so every gateway instance knows every session",
                    "Until logout, or 8 hours after login; expired rows are purged hourly",
                    null,
                    field("id_hash", "SHA-256 of a dashboard session's random id (the browser holds the id in an HttpOnly cookie; the store never does)"),
                    field("role", "`operator` (logged in with the admin token) or `key_owner` (logged in with an API key)"),
                    field("key_id", "For a key owner, the id of the key it logged in with; empty for the operator"),
                    field("created_at", "When the session began (the login)"),
                    field("expires_at", "When the session ends at the latest")));

    private static final List<Elsewhere> ELSEWHERE = List.of(
            new Elsewhere("Prompt and response content", "Request-scoped memory of the gateway only",
                    "Until the response ends"),
            new Elsewhere("Batch input files", "Encrypted under `<data_dir>/files/` (a key per file, wrapped by the "
                    + "master key), or with `batch.storage: database` encrypted the same way in `batch_file_chunks`", "Until the batch ends, or `batch.output_ttl_hours` (default 24) if unused"),
            new Elsewhere("Batch output and error files", "Encrypted as above, and to the client's key if it gave one",
                    "`batch.output_ttl_hours` (default 24) after the batch ended, or until deleted"),
            new Elsewhere("Shared rate, concurrency and spend counters per key with limits or a budget, named by a hash "
                    + "of the key id", "Redis or Valkey, with `redis.url` set", "At most 3 minutes"),
            new Elsewhere("Metrics labelled by endpoint, configured model and route, status class", "Process memory "
                    + "(`/metrics`)", "Until restart"),
            new Elsewhere("Log lines: request ids, fixed labels, statuses, latencies, exception class names; never a body, "
                    + "a header value or an error message", "Standard error", "As the operator keeps its logs"));

    private static final List<Mode> MODES = List.of(
            new Mode("anonymized", "The gateway's identity stripping",
                    "The request and response content, without the caller's identity (requests arrive under the "
                            + "operator's credentials); it may keep and train on content under its own policy",
                    "Content in the gateway's memory while relaying it, never stored. " + METADATA,
                    "No node is involved"),
            new Mode("private", "The provider's contract, as the operator declares it (Veil cannot verify it)",
                    "As `anonymized`, and the operator declares that the provider keeps nothing (zero retention) and "
                            + "does not train on requests",
                    "As `anonymized`",
                    "No node is involved"),
            new Mode("tee", "Hardware: a Trusted Execution Environment (AMD SEV-SNP, Intel TDX); a `simulated` TEE is for "
                    + "development and protects nothing",
                    "As `private`, and the model runs in a TEE: the provider's host and staff cannot read content in memory",
                    "As `anonymized`: the gateway still sees content in memory while relaying it (on a node route it "
                            + "seals the request to the node's attested key)",
                    "On a node route: the content, inside the attested TEE only; the node keeps nothing"),
            new Mode("e2ee", "Cryptography: the request is encrypted end to end to a key bound into the TEE's attestation",
                    "As `tee`",
                    "Only ciphertext, and the metadata (model, sizes, times, token counts). " + METADATA,
                    "The content, inside the attested TEE only; it removes identity and storage fields before its "
                            + "engine and enforces the request's own privacy policy against its signed declaration"));

    private PrivacyInventory() {
    }

    /** Every table Veil creates (Flyway's own {@code flyway_schema_history} aside), in migration order. */
    public static List<Table> tables() {
        return TABLES;
    }

    /** The table called {@code name}, if Veil has one. */
    public static Optional<Table> table(String name) {
        return TABLES.stream().filter(t -> t.table().equals(name)).findFirst();
    }

    /** What Veil keeps outside its database. */
    public static List<Elsewhere> elsewhere() {
        return ELSEWHERE;
    }

    /** What each privacy mode shows to whom, from the weakest mode to the strongest. */
    public static List<Mode> modes() {
        return MODES;
    }

    private static Table table(String table, String purpose, String retention, String retentionSetting,
                               Field... fields) {
        return new Table(table, purpose, retention, retentionSetting, List.of(fields));
    }

    private static Field field(String name, String meaning) {
        return new Field(name, meaning);
    }
}
