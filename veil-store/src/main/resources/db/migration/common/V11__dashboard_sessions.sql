-- Sessions of the dashboard at /ui (docs/api.md#dashboard). A session is a random id the browser holds in an HttpOnly
-- cookie; the store keeps only its SHA-256, so a copy of the database cannot be used to take over a session. Kept in
-- the store (not in one process's memory) so that every gateway instance on the store knows every session. Rows are
-- deleted at logout and once expired. Holds no content; listed in docs/privacy.md.
CREATE TABLE dashboard_sessions (
    id_hash    TEXT   PRIMARY KEY,
    role       TEXT   NOT NULL,
    key_id     TEXT   NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_expires_at ON dashboard_sessions (expires_at);
