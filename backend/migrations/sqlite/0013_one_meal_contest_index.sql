-- The one-meal contest (which of a diner's subsidised meals in a slot and
-- day is the first sold) reads a diner's lines of a few days in their
-- township. Its own index, so no planner takes the claim's index
-- (township, day) instead and scans every line of the township: that
-- made each sale post slower as the month's sales grew.
CREATE INDEX sale_lines_contest ON sale_lines (township_id, diner_id, business_date, slot)
    WHERE kind = 'diner_meal' AND subsidy > 0;

-- Unused since the contest moved to canteen-core and reads the index above;
-- every index is one more write per line stored.
DROP INDEX sale_lines_subsidised;
DROP INDEX sale_lines_by_diner;
