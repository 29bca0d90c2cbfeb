-- The monthly claim reads a million lines in one range scan of sale_lines,
-- without a join: each line carries the columns of its sale that the claim
-- and the one-meal contest need (copies, written in the same INSERT as the
-- sale; the sale's own columns keep the foreign keys).

ALTER TABLE sale_lines ADD COLUMN site_id INTEGER;
ALTER TABLE sale_lines ADD COLUMN terminal_id INTEGER;
ALTER TABLE sale_lines ADD COLUMN cashier_id INTEGER;
ALTER TABLE sale_lines ADD COLUMN sold_at INTEGER;
ALTER TABLE sale_lines ADD COLUMN received_at INTEGER;

-- Lines refuse UPDATE; the guard steps aside for the backfill only.
DROP TRIGGER sale_lines_no_update;
UPDATE sale_lines SET
    site_id = (SELECT site_id FROM sales WHERE sales.id = sale_lines.sale_id),
    terminal_id = (SELECT terminal_id FROM sales WHERE sales.id = sale_lines.sale_id),
    cashier_id = (SELECT cashier_id FROM sales WHERE sales.id = sale_lines.sale_id),
    sold_at = (SELECT sold_at FROM sales WHERE sales.id = sale_lines.sale_id),
    received_at = (SELECT received_at FROM sales WHERE sales.id = sale_lines.sale_id);
CREATE TRIGGER sale_lines_no_update BEFORE UPDATE ON sale_lines
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;

CREATE TRIGGER sale_lines_sale_columns_required BEFORE INSERT ON sale_lines
WHEN NEW.site_id IS NULL OR NEW.terminal_id IS NULL OR NEW.cashier_id IS NULL
    OR NEW.sold_at IS NULL OR NEW.received_at IS NULL
BEGIN SELECT RAISE(ABORT, 'sale_lines carry their sale''s site, terminal, cashier and times'); END;

DROP INDEX sale_lines_claimed;
CREATE INDEX sale_lines_for_claim ON sale_lines (township_id, business_date)
    WHERE subsidy > 0 AND kind = 'diner_meal';
