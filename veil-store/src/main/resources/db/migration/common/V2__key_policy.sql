-- Per-key policy: the JSON form of dev.veil.protocol.KeyPolicy (minimum privacy mode, allowed models, routes and
-- jurisdictions, budget, rate limits), written by KeyPolicyJson. NULL means unrestricted. Holds no content; listed
-- in docs/privacy.md.
ALTER TABLE api_keys ADD COLUMN policy TEXT;
