-- Audit (DESIGN.md "Audit"): an append-only, hash-chained record of every
-- state change. common/audit.h describes the chain and its serialization.
CREATE SCHEMA IF NOT EXISTS audit;

-- Rows appended in the same transaction as the change they record. The
-- chainer (zw_audit_chain, run by every daemon's loop) moves them into
-- audit.log in id order, so appenders never wait for each other.
CREATE TABLE audit.pending (
    id bigserial PRIMARY KEY,
    at_us bigint NOT NULL,        -- business time, microseconds since 1970
    actor text NOT NULL,          -- the staff member (or daemon) who acted
    caller_key_id text NOT NULL,  -- the authenticated key of the request
    caller_role text NOT NULL,
    action text NOT NULL,         -- e.g. "accept", "clock.set"
    object_type text NOT NULL,    -- e.g. "application"
    object_id text NOT NULL,
    before_digest text NOT NULL,  -- sha256 hex of the state before, '' if none
    after_digest text NOT NULL    -- sha256 hex of the state after, '' if none
);

-- The chain: seq 1, 2, 3...; hash = sha256 over the previous row's hash
-- and this row's fields in the canonical serialization.
CREATE TABLE audit.log (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    at_us bigint NOT NULL,
    actor text NOT NULL,
    caller_key_id text NOT NULL,
    caller_role text NOT NULL,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    before_digest text NOT NULL,
    after_digest text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE INDEX log_object ON audit.log (object_type, object_id);

-- The chain head, kept apart from the rows so that deleting the last rows
-- is detected: verify compares it with the last row.
CREATE TABLE audit.head (
    id smallint PRIMARY KEY CHECK (id = 1),
    last_seq bigint NOT NULL CHECK (last_seq >= 0),
    last_hash text NOT NULL
);
INSERT INTO audit.head (id, last_seq, last_hash) VALUES (1, 0, repeat('0', 64));

-- Defence in depth: the application can never change or remove a chained
-- row or move the head back. Someone who bypasses this (a superuser
-- disabling triggers) is what verify is for.
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit.log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION audit.head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last_seq < OLD.last_seq THEN
        RAISE EXCEPTION 'audit.head only moves forward' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER log_no_update BEFORE UPDATE OR DELETE ON audit.log
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON audit.log
    FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER head_forward BEFORE UPDATE ON audit.head
    FOR EACH ROW EXECUTE FUNCTION audit.head_forward_only();
CREATE TRIGGER head_no_delete BEFORE DELETE ON audit.head
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
