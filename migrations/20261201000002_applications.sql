-- Incoming application packages that passed every check (issue 15): the package itself is in
-- the archive (packages/ab/<package_sha256>.zip); a certificate or refusal issued against one
-- names it in documents.application_id.
CREATE TABLE IF NOT EXISTS applications (
    id TEXT PRIMARY KEY,
    number TEXT,
    application_date TEXT NOT NULL,
    certificate TEXT NOT NULL,
    applicant_bin TEXT NOT NULL,
    received_at TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    application_data TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_applicant ON applications (applicant_bin);
ALTER TABLE documents ADD COLUMN application_id TEXT REFERENCES applications (id);
CREATE INDEX IF NOT EXISTS documents_application ON documents (application_id);
