-- Finance: volunteer free-meal days, decisions on flagged claim lines, and
-- month closes with the frozen claim.

-- Every version of every free-meal day: a correction is a new version, the
-- old one is kept. The current version of a day is its highest.
CREATE TABLE free_meal_days (
    id               TEXT NOT NULL,
    version          INTEGER NOT NULL,
    township_id      INTEGER NOT NULL REFERENCES townships(id),
    site_id          INTEGER NOT NULL REFERENCES sites(id),
    date             TEXT NOT NULL,
    slot             TEXT NOT NULL,
    eaten            INTEGER NOT NULL,
    purchases_total  INTEGER NOT NULL,
    donations        INTEGER NOT NULL,
    content_hash     TEXT NOT NULL,
    body             TEXT NOT NULL,
    author_id        INTEGER NOT NULL REFERENCES users(id),
    recorded_by      INTEGER NOT NULL REFERENCES users(id),
    recorded_at      INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX free_meal_days_by_site ON free_meal_days (site_id, date);
CREATE INDEX free_meal_days_by_township ON free_meal_days (township_id, date);

-- Finance staff's decisions on flagged lines; the latest per line and kind
-- of flag counts.
CREATE TABLE flag_decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    township_id  INTEGER NOT NULL REFERENCES townships(id),
    site_id      INTEGER NOT NULL REFERENCES sites(id),
    month        TEXT NOT NULL,
    sale_id      TEXT NOT NULL,
    line_index   INTEGER NOT NULL,
    flag_kind    TEXT NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('accept', 'reject')),
    comment      TEXT NOT NULL,
    decided_by   INTEGER NOT NULL REFERENCES users(id),
    decider      TEXT NOT NULL,
    decided_at   INTEGER NOT NULL
);
CREATE INDEX flag_decisions_by_month ON flag_decisions (site_id, month);

-- Closes of a site's month with the claim frozen at the close (JSON). A
-- reopened close keeps its row, marked with who reopened it and why.
CREATE TABLE month_closes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    township_id    INTEGER NOT NULL REFERENCES townships(id),
    site_id        INTEGER NOT NULL REFERENCES sites(id),
    month          TEXT NOT NULL,
    closed_at      INTEGER NOT NULL,
    closed_by      INTEGER NOT NULL REFERENCES users(id),
    claim          TEXT NOT NULL,
    reopened_at    INTEGER,
    reopened_by    INTEGER REFERENCES users(id),
    reopen_reason  TEXT
);
CREATE UNIQUE INDEX month_closes_open_once ON month_closes (site_id, month) WHERE reopened_at IS NULL;
CREATE INDEX month_closes_by_township ON month_closes (township_id);

-- Looking up the claim's lines by diner meal of a date range.
CREATE INDEX sale_lines_claimed ON sale_lines (business_date) WHERE subsidy > 0;

CREATE TRIGGER free_meal_days_no_update BEFORE UPDATE ON free_meal_days
BEGIN SELECT RAISE(ABORT, 'free-meal days are append-only'); END;
CREATE TRIGGER free_meal_days_no_delete BEFORE DELETE ON free_meal_days
BEGIN SELECT RAISE(ABORT, 'free-meal days are append-only'); END;
CREATE TRIGGER flag_decisions_no_update BEFORE UPDATE ON flag_decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER flag_decisions_no_delete BEFORE DELETE ON flag_decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
-- A close is never removed, and its frozen claim never changes; only the
-- reopening fields may be set, once.
CREATE TRIGGER month_closes_no_delete BEFORE DELETE ON month_closes
BEGIN SELECT RAISE(ABORT, 'month closes are kept'); END;
CREATE TRIGGER month_closes_frozen BEFORE UPDATE ON month_closes
WHEN OLD.claim IS NOT NEW.claim OR OLD.closed_at IS NOT NEW.closed_at OR OLD.month IS NOT NEW.month
  OR OLD.site_id IS NOT NEW.site_id OR OLD.reopened_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a closed claim is frozen'); END;
