-- Web pages: browser sessions (the JSON API keeps its bearer tokens in
-- `sessions`). The cookie holds a random id; only its SHA-256 is stored.
-- A session ends at expires_at (absolute) or when unused for the idle time.
CREATE TABLE web_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

-- The key of the pages' CSRF tokens, made once so that forms rendered
-- before a restart still post after it.
CREATE TABLE web_keys (
    name  TEXT PRIMARY KEY,
    key   TEXT NOT NULL
);

-- A user given a one-time password (made by an administrator or at first
-- start) must choose their own at their next sign-in on the pages.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;
