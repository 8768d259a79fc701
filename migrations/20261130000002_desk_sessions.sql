-- Sessions of the officers' desk (/desk/): a signed-in officer's browser holds a random session
-- id in an HttpOnly cookie; the registry keeps only its SHA-256, so a copy of the registry cannot
-- sign anyone in. A session ends at its idle or absolute expiry, or when revoked (sign-out).
CREATE TABLE IF NOT EXISTS desk_sessions (
    id_sha256 TEXT PRIMARY KEY,
    officer TEXT NOT NULL,
    scopes TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
