-- When the backend received a shift's close (the terminal's closed_at is its
-- own clock): the shift check counts a sale or void as late when it arrived
-- at or after this. Shifts closed before this column existed take their
-- terminal's closing time, the best record there is of when it arrived.
ALTER TABLE shifts ADD COLUMN close_received_at BIGINT;
UPDATE shifts SET close_received_at = closed_at WHERE closed_at IS NOT NULL;
