-- Drafts of external (two-step) signing: the document row (status 'draft') holds the number
-- from the moment the draft is made; this row holds what the signature must fit. A draft not
-- signed before expires_at is voided: its document row becomes 'voided', never deleted.
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY,
    certificate TEXT NOT NULL,
    digest TEXT NOT NULL,
    digest_algorithm TEXT NOT NULL,
    draft_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS drafts_expiry ON drafts (expires_at);
