-- The registry: portable SQL for SQLite and PostgreSQL (sqlx's Any driver runs both).
CREATE TABLE IF NOT EXISTS counters (
    form TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (form, year)
);

CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    form TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    issued_at TEXT NOT NULL,
    applicant_bin TEXT NOT NULL,
    data TEXT NOT NULL,
    data_sha256 TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    pdf_size BIGINT NOT NULL,
    signer TEXT NOT NULL,
    status TEXT NOT NULL,
    revoked_at TEXT,
    revocation_reason TEXT,
    UNIQUE (form, year, seq)
);
CREATE INDEX IF NOT EXISTS documents_applicant ON documents (applicant_bin);
CREATE INDEX IF NOT EXISTS documents_issued ON documents (issued_at, id);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    token_name TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    document_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (token_name, idempotency_key)
);

-- Append-only: the service never updates or deletes a row.
CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    document_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_document ON audit_log (document_id);
