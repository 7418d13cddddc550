-- One-time sign-in links of the embeddable portal (POST
-- /api/admin/accounts/{id}/portal): only the SHA-256 of the token is kept; a
-- token is deleted when used, and expired ones when a new one is made.
CREATE TABLE portal_tokens (
    hash       BLOB PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    read_only  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX portal_tokens_expiry ON portal_tokens (expires_at);
