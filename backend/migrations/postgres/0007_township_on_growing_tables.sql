-- Ready for a province: every table that grows with sales carries its
-- township, so they can be distributed by township (Citus) and every query
-- by site or township can filter on it. (audit_log has it already.)

ALTER TABLE sales ADD COLUMN township_id BIGINT REFERENCES townships(id);
ALTER TABLE sale_lines ADD COLUMN township_id BIGINT REFERENCES townships(id);
ALTER TABLE voids ADD COLUMN township_id BIGINT REFERENCES townships(id);
ALTER TABLE shifts ADD COLUMN township_id BIGINT REFERENCES townships(id);

-- Backfill through the site. The append-only guards step aside for the
-- backfill only (disabled, not redefined).
ALTER TABLE sales DISABLE TRIGGER sales_append_only;
ALTER TABLE sale_lines DISABLE TRIGGER sale_lines_append_only;
ALTER TABLE voids DISABLE TRIGGER voids_append_only;

UPDATE sales SET township_id = sites.township_id FROM sites WHERE sites.id = sales.site_id;
UPDATE sale_lines SET township_id = sales.township_id FROM sales WHERE sales.id = sale_lines.sale_id;
UPDATE voids SET township_id = sites.township_id FROM sites WHERE sites.id = voids.site_id;
UPDATE shifts SET township_id = sites.township_id FROM sites WHERE sites.id = shifts.site_id;

ALTER TABLE sales ENABLE TRIGGER sales_append_only;
ALTER TABLE sale_lines ENABLE TRIGGER sale_lines_append_only;
ALTER TABLE voids ENABLE TRIGGER voids_append_only;

ALTER TABLE sales ALTER COLUMN township_id SET NOT NULL;
ALTER TABLE sale_lines ALTER COLUMN township_id SET NOT NULL;
ALTER TABLE voids ALTER COLUMN township_id SET NOT NULL;
ALTER TABLE shifts ALTER COLUMN township_id SET NOT NULL;

CREATE INDEX sales_by_township_site_date ON sales (township_id, site_id, business_date);
CREATE INDEX sale_lines_by_township_sale ON sale_lines (township_id, sale_id);
CREATE INDEX voids_by_township_site ON voids (township_id, site_id);
CREATE INDEX shifts_by_township_terminal ON shifts (township_id, terminal_id);
