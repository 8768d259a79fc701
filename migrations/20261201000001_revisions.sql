-- Earlier revisions of documents renewed for the long term (B-LTA renewal, `eucdoc archive
-- refresh`): still in the archive and known to the registry; `documents.pdf_sha256` is the newest.
CREATE TABLE IF NOT EXISTS archived_revisions (
    pdf_sha256 TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id),
    superseded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS archived_revisions_document ON archived_revisions (document_id);
