-- The key terminals hash resident ID numbers with (HMAC-SHA-256), one per
-- township, so the roster download never carries a whole number. Made on
-- first use (hex of 32 random bytes); never changed, or every terminal's
-- stored hashes would stop matching.
CREATE TABLE township_keys (
    township_id  INTEGER PRIMARY KEY REFERENCES townships(id),
    id_hash_key  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- A cashier's PIN for the terminals (argon2id PHC string), checked offline
-- on the terminal; a supervisor's PIN also approves voids.
ALTER TABLE users ADD COLUMN pin_hash TEXT;
ALTER TABLE users ADD COLUMN supervisor BOOLEAN NOT NULL DEFAULT 0;
