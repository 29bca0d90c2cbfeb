-- The date a diner was registered on the roster: meals before it are not
-- subsidised. Diners already on the roster keep NULL (no limit): the table
-- has no creation date (updated_at moves with every edit), and guessing one
-- would pull their earlier meals out of open claims.
ALTER TABLE diners ADD COLUMN active_from TEXT;
