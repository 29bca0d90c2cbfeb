-- The monthly claim reads a million lines in one range scan of sale_lines,
-- without a join: each line carries the columns of its sale that the claim
-- and the one-meal contest need (copies, written in the same INSERT as the
-- sale; the sale's own columns keep the foreign keys).

ALTER TABLE sale_lines ADD COLUMN site_id BIGINT;
ALTER TABLE sale_lines ADD COLUMN terminal_id BIGINT;
ALTER TABLE sale_lines ADD COLUMN cashier_id BIGINT;
ALTER TABLE sale_lines ADD COLUMN sold_at BIGINT;
ALTER TABLE sale_lines ADD COLUMN received_at BIGINT;

-- Lines refuse UPDATE; the guard steps aside for the backfill only.
ALTER TABLE sale_lines DISABLE TRIGGER sale_lines_append_only;
UPDATE sale_lines SET site_id = s.site_id, terminal_id = s.terminal_id,
    cashier_id = s.cashier_id, sold_at = s.sold_at, received_at = s.received_at
FROM sales s WHERE s.id = sale_lines.sale_id;
ALTER TABLE sale_lines ENABLE TRIGGER sale_lines_append_only;

ALTER TABLE sale_lines ALTER COLUMN site_id SET NOT NULL;
ALTER TABLE sale_lines ALTER COLUMN terminal_id SET NOT NULL;
ALTER TABLE sale_lines ALTER COLUMN cashier_id SET NOT NULL;
ALTER TABLE sale_lines ALTER COLUMN sold_at SET NOT NULL;
ALTER TABLE sale_lines ALTER COLUMN received_at SET NOT NULL;

DROP INDEX sale_lines_claimed;
CREATE INDEX sale_lines_for_claim ON sale_lines (township_id, business_date)
    WHERE subsidy > 0 AND kind = 'diner_meal';
