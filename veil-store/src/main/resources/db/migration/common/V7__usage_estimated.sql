-- Whether the row's token counts are Veil's own count (1) because the upstream reported no usage, or the upstream's
-- figures (0). A flag, no content; listed in docs/privacy.md.
ALTER TABLE request_log ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0;
