-- The check of a batch built on guessed reads (012) as one plain statement
-- (services/intake/intake_store.c, intake_batch_check), which calls this
-- only when the guess was wrong: a plpgsql call for every batch cost more
-- than the check's own two lookups.
CREATE FUNCTION intake.batch_stale(why text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', why USING ERRCODE = 'ZWB01';
END
$$;

DROP FUNCTION intake.batch_check(text[], text[], text[], integer[]);
