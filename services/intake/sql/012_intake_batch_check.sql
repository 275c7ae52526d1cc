-- A batch of submissions whose reads were guessed (services/intake/
-- intake_submit.c, "guessed reads"): the daemon built the batch from the
-- catalog items it read for earlier batches and from the assumption that
-- none of its idempotency keys was used before, and sends this check with
-- the writes and COMMIT in one round trip. The check locks the items as a
-- lone submission does (FOR SHARE, so a cancellation waits for the
-- commit), and fails with SQLSTATE ZWB01 when an item is at another
-- version or gone, or a key has a record: the transaction then rolls back
-- and the daemon runs the batch again with its reads done first.
CREATE FUNCTION intake.batch_check(callers text[], keys text[], codes text[], versions integer[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    locked integer;
BEGIN
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM catalog.items i
        JOIN unnest(codes, versions) AS u (code, version)
          ON i.impl_code = u.code AND i.version = u.version
        FOR SHARE OF i) AS x;
    IF locked <> cardinality(codes) THEN
        RAISE EXCEPTION 'a catalog item changed since the batch was built'
            USING ERRCODE = 'ZWB01';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(callers, keys) AS u (caller, key)
               JOIN intake.requests q ON q.caller = u.caller AND q.idempotency_key = u.key) THEN
        RAISE EXCEPTION 'an idempotency key of the batch was used before'
            USING ERRCODE = 'ZWB01';
    END IF;
END
$$;
