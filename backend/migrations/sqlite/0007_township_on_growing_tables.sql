-- Ready for a province: every table that grows with sales carries its
-- township, so a distributed database can shard them by township and every
-- query by site or township can filter on it. (audit_log has it already.)
-- SQLite cannot add a NOT NULL column with a foreign key, so the column is
-- nullable and a trigger refuses a row without it.

ALTER TABLE sales ADD COLUMN township_id INTEGER REFERENCES townships(id);
ALTER TABLE sale_lines ADD COLUMN township_id INTEGER REFERENCES townships(id);
ALTER TABLE voids ADD COLUMN township_id INTEGER REFERENCES townships(id);
ALTER TABLE shifts ADD COLUMN township_id INTEGER REFERENCES townships(id);

-- Backfill through the site. Sales, lines and voids refuse UPDATE, so their
-- guards step aside for the backfill only and come back unchanged.
DROP TRIGGER sales_no_update;
DROP TRIGGER sale_lines_no_update;
DROP TRIGGER voids_no_update;

UPDATE sales SET township_id = (SELECT township_id FROM sites WHERE sites.id = sales.site_id);
UPDATE sale_lines SET township_id = (SELECT township_id FROM sales WHERE sales.id = sale_lines.sale_id);
UPDATE voids SET township_id = (SELECT township_id FROM sites WHERE sites.id = voids.site_id);
UPDATE shifts SET township_id = (SELECT township_id FROM sites WHERE sites.id = shifts.site_id);

CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER sale_lines_no_update BEFORE UPDATE ON sale_lines
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER voids_no_update BEFORE UPDATE ON voids
BEGIN SELECT RAISE(ABORT, 'voids are append-only'); END;

CREATE TRIGGER sales_township_required BEFORE INSERT ON sales WHEN NEW.township_id IS NULL
BEGIN SELECT RAISE(ABORT, 'sales.township_id is required'); END;
CREATE TRIGGER sale_lines_township_required BEFORE INSERT ON sale_lines WHEN NEW.township_id IS NULL
BEGIN SELECT RAISE(ABORT, 'sale_lines.township_id is required'); END;
CREATE TRIGGER voids_township_required BEFORE INSERT ON voids WHEN NEW.township_id IS NULL
BEGIN SELECT RAISE(ABORT, 'voids.township_id is required'); END;
CREATE TRIGGER shifts_township_required BEFORE INSERT ON shifts WHEN NEW.township_id IS NULL
BEGIN SELECT RAISE(ABORT, 'shifts.township_id is required'); END;
CREATE TRIGGER shifts_township_kept BEFORE UPDATE OF township_id ON shifts
BEGIN SELECT RAISE(ABORT, 'a shift stays in its township'); END;

CREATE INDEX sales_by_township_site_date ON sales (township_id, site_id, business_date);
CREATE INDEX sale_lines_by_township_sale ON sale_lines (township_id, sale_id);
CREATE INDEX voids_by_township_site ON voids (township_id, site_id);
CREATE INDEX shifts_by_township_terminal ON shifts (township_id, terminal_id);
