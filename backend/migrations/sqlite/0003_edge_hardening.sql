-- Append-only tables refuse INSERT OR REPLACE (and any insert) of a key
-- already stored: REPLACE deletes the old row without firing the
-- BEFORE DELETE triggers, so those alone let a stored row be rewritten.
-- The store's own inserts use ON CONFLICT DO NOTHING and read this refusal
-- as "already stored".
CREATE TRIGGER sales_no_replace BEFORE INSERT ON sales
WHEN EXISTS (SELECT 1 FROM sales WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'sales are append-only: this id is already stored'); END;

CREATE TRIGGER sale_lines_no_replace BEFORE INSERT ON sale_lines
WHEN EXISTS (SELECT 1 FROM sale_lines WHERE sale_id = NEW.sale_id AND line_no = NEW.line_no)
BEGIN SELECT RAISE(ABORT, 'sales are append-only: this line is already stored'); END;

CREATE TRIGGER voids_no_replace BEFORE INSERT ON voids
WHEN EXISTS (SELECT 1 FROM voids WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'voids are append-only: this id is already stored'); END;

CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: this entry is already stored'); END;
