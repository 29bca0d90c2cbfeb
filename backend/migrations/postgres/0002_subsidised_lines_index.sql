-- Finding a diner's earlier subsidised meal in a slot and day must not scan
-- their unsubsidised lines: a partial index on the subsidised ones.
CREATE INDEX sale_lines_subsidised ON sale_lines (diner_id, business_date, slot) WHERE expected_subsidy > 0;
