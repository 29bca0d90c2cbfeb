-- Happiness Canteen, SQLite. Money is integer fen, times are Unix
-- milliseconds, dates are ISO text (YYYY-MM-DD).

CREATE TABLE townships (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE sites (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    township_id         INTEGER NOT NULL REFERENCES townships(id),
    name                TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('canteen', 'commune')),
    utc_offset_minutes  INTEGER NOT NULL DEFAULT 480,
    created_at          INTEGER NOT NULL,
    UNIQUE (township_id, name)
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'finance', 'volunteer', 'cashier')),
    township_id    INTEGER REFERENCES townships(id),
    site_id        INTEGER REFERENCES sites(id),
    password_hash  TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE terminals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    active      BOOLEAN NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

-- Monotonic change counters: the roster and policy versions terminals sync by.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('roster', 0), ('policy', 0);

CREATE TABLE diners (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    township_id     INTEGER NOT NULL REFERENCES townships(id),
    name            TEXT NOT NULL,
    resident_id     TEXT,
    birth_date      TEXT,
    village         TEXT,
    card_no         TEXT,
    inactive_since  TEXT,
    categories      TEXT NOT NULL DEFAULT '[]',
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (township_id, resident_id)
);
CREATE INDEX diners_by_version ON diners (township_id, version);

CREATE TABLE policies (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    effective_from  TEXT NOT NULL,
    body            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (site_id, effective_from)
);

CREATE TABLE sales (
    id              TEXT PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    terminal_id     INTEGER NOT NULL REFERENCES terminals(id),
    cashier_id      INTEGER NOT NULL REFERENCES users(id),
    sold_at         INTEGER NOT NULL,
    business_date   TEXT NOT NULL,
    slot            TEXT NOT NULL,
    total_paid      INTEGER NOT NULL,
    subsidy_total   INTEGER NOT NULL,
    cash_taken      INTEGER NOT NULL,
    payment_method  TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    body            TEXT NOT NULL,
    received_at     INTEGER NOT NULL
);
CREATE INDEX sales_by_site_date ON sales (site_id, business_date);
CREATE INDEX sales_by_terminal_time ON sales (terminal_id, sold_at);

-- Each line with what the terminal charged and, beside it, the backend's own
-- verdict (expected_*) priced with the roster and policy of the business date.
CREATE TABLE sale_lines (
    sale_id            TEXT NOT NULL REFERENCES sales(id),
    line_no            INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    diner_id           INTEGER REFERENCES diners(id),
    name               TEXT,
    quantity           INTEGER NOT NULL,
    standard           INTEGER,
    amount             INTEGER NOT NULL,
    subsidy            INTEGER NOT NULL,
    bracket            TEXT,
    category           TEXT,
    expected_standard  INTEGER,
    expected_paid      INTEGER,
    expected_subsidy   INTEGER,
    expected_bracket   TEXT,
    expected_category  TEXT,
    expected_reason    TEXT,
    verdict            TEXT NOT NULL,
    business_date      TEXT NOT NULL,
    slot               TEXT NOT NULL,
    PRIMARY KEY (sale_id, line_no)
);
CREATE INDEX sale_lines_by_diner ON sale_lines (diner_id, business_date, slot);

CREATE TABLE voids (
    id            TEXT PRIMARY KEY,
    sale_id       TEXT NOT NULL UNIQUE REFERENCES sales(id),
    site_id       INTEGER NOT NULL REFERENCES sites(id),
    terminal_id   INTEGER NOT NULL REFERENCES terminals(id),
    voided_by     INTEGER NOT NULL REFERENCES users(id),
    voided_at     INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    body          TEXT NOT NULL,
    received_at   INTEGER NOT NULL
);

CREATE TABLE shifts (
    id              TEXT PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    terminal_id     INTEGER NOT NULL REFERENCES terminals(id),
    cashier_id      INTEGER NOT NULL REFERENCES users(id),
    opened_at       INTEGER NOT NULL,
    opening_float   INTEGER NOT NULL,
    closed_at       INTEGER,
    counted_cash    INTEGER,
    expected_cash   INTEGER,
    received_at     INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    actor_id     INTEGER,
    actor        TEXT NOT NULL,
    township_id  INTEGER,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before       TEXT,
    after        TEXT
);
CREATE INDEX audit_by_township ON audit_log (township_id, id);

-- Sales, their lines, voids and the audit log are append-only: the database
-- itself refuses to change or remove them.
CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER sale_lines_no_update BEFORE UPDATE ON sale_lines
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER sale_lines_no_delete BEFORE DELETE ON sale_lines
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER voids_no_update BEFORE UPDATE ON voids
BEGIN SELECT RAISE(ABORT, 'voids are append-only'); END;
CREATE TRIGGER voids_no_delete BEFORE DELETE ON voids
BEGIN SELECT RAISE(ABORT, 'voids are append-only'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
