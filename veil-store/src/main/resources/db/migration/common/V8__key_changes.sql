-- One row counting changes to api_keys (revocations and policy changes). Every gateway instance reads it every second
-- and, when it moved, drops its cached keys, so a change made by any instance or by 'veil keys' takes effect
-- everywhere within that bound. Holds no content; listed in docs/privacy.md.
CREATE TABLE key_changes (
    id      INTEGER PRIMARY KEY,
    version BIGINT  NOT NULL
);
INSERT INTO key_changes (id, version) VALUES (1, 0);
