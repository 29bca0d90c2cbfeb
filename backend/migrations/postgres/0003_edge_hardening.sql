-- TRUNCATE skips row triggers: refuse it on every append-only table
-- (0001 did so for sales, sale_lines and voids, not for the audit log).
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
