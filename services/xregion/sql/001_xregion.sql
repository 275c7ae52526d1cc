-- zwfw-xregion: partner deployments, cross-region exchanges in both
-- directions, the link's store-and-forward queue, the duplicate filter of
-- what partners sent, and the message log. Personal data (the applicant,
-- inside an exchange's body and a queued message) is sealed with the
-- deployment's data key (pii_key_file), as intake seals it.
CREATE SCHEMA IF NOT EXISTS xregion;

CREATE TABLE xregion.partners (
    region text PRIMARY KEY CHECK (region ~ '^[0-9]{6}$'),
    name text NOT NULL,
    endpoint text NOT NULL DEFAULT '',
    public_key text NOT NULL UNIQUE,
    enabled boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1,
    updated_at_us bigint NOT NULL,
    updated_by text NOT NULL
);

-- Exchange numbers: one row per business day of the receiving side.
CREATE TABLE xregion.day_counters (
    day date PRIMARY KEY,
    last integer NOT NULL
);

-- direction 1: received here, partners decide (parts: one per partner);
-- direction 2: a partner received it, this deployment decides (one part,
-- region = the origin).
CREATE TABLE xregion.exchanges (
    exchange_id text PRIMARY KEY,
    direction smallint NOT NULL CHECK (direction IN (1, 2)),
    mode smallint NOT NULL,
    origin_region text NOT NULL,
    channel smallint NOT NULL,
    window_id text NOT NULL DEFAULT '',
    actor text NOT NULL,
    submitted_by text NOT NULL,          -- caller key id (outbound) or partner region (inbound)
    body bytea NOT NULL,                 -- sealed XrForward: applicant, materials, note
    identity_checked boolean NOT NULL,
    created_at_us bigint NOT NULL,
    updated_at_us bigint NOT NULL,
    done boolean NOT NULL DEFAULT false
);
CREATE INDEX exchanges_newest ON xregion.exchanges (created_at_us DESC, exchange_id DESC);

CREATE TABLE xregion.parts (
    exchange_id text NOT NULL REFERENCES xregion.exchanges,
    part_no integer NOT NULL,
    region text NOT NULL,
    item_code text NOT NULL,
    stage smallint NOT NULL CHECK (stage BETWEEN 1 AND 5),
    receipt_number text NOT NULL DEFAULT '',
    state smallint NOT NULL DEFAULT 0,
    state_at_us bigint,
    due_at_us bigint,
    item_name text NOT NULL DEFAULT '',
    department_name text NOT NULL DEFAULT '',
    reason text NOT NULL DEFAULT '',
    missing text[] NOT NULL DEFAULT '{}',
    error_code integer NOT NULL DEFAULT 0,
    error_message text NOT NULL DEFAULT '',
    error_detail text NOT NULL DEFAULT '',
    -- outbound: the newest XrStatus seq applied; inbound: the last one sent
    status_seq bigint NOT NULL DEFAULT 0,
    -- inbound: the newest intake event seq applied (older ones ignored)
    event_seq bigint NOT NULL DEFAULT 0,
    submit_attempts integer NOT NULL DEFAULT 0,
    next_submit_us bigint NOT NULL DEFAULT 0, -- monotonic hint only; 0 = now
    updated_at_us bigint NOT NULL,
    PRIMARY KEY (exchange_id, part_no)
);
CREATE INDEX parts_region ON xregion.parts (region, exchange_id);
CREATE INDEX parts_receipt ON xregion.parts (receipt_number) WHERE receipt_number <> '';
-- inbound parts waiting to be submitted to this deployment's intake
CREATE INDEX parts_to_submit ON xregion.parts (exchange_id, part_no) WHERE stage = 2;

CREATE TABLE xregion.history (
    exchange_id text NOT NULL REFERENCES xregion.exchanges,
    seq integer NOT NULL,
    part_no integer NOT NULL,
    stage smallint NOT NULL,
    state smallint NOT NULL,
    at_us bigint NOT NULL,
    note text NOT NULL DEFAULT '',
    PRIMARY KEY (exchange_id, seq)
);

-- Store and forward: a message waits here until the partner acknowledged
-- that it committed it (state 1) or refused it (state 2, with the error).
CREATE TABLE xregion.outbound (
    id bigserial PRIMARY KEY,
    region text NOT NULL,
    message_id text NOT NULL UNIQUE,
    type text NOT NULL,
    exchange_id text NOT NULL,
    part_no integer NOT NULL,
    body bytea NOT NULL,                 -- sealed message bytes
    created_at_us bigint NOT NULL,
    state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
    done_at_us bigint,
    error text NOT NULL DEFAULT ''
);
CREATE INDEX outbound_pending ON xregion.outbound (region, id) WHERE state = 0;

-- What partners sent and this side committed: a repeat is a duplicate.
CREATE TABLE xregion.inbound (
    region text NOT NULL,
    message_id text NOT NULL,
    type text NOT NULL,
    received_at_us bigint NOT NULL,
    PRIMARY KEY (region, message_id)
);

-- Every message exchanged, for audit (DESIGN.md "Cross-region links").
CREATE TABLE xregion.message_log (
    id bigserial PRIMARY KEY,
    inbound boolean NOT NULL,
    region text NOT NULL,
    key_id text NOT NULL,
    message_id text NOT NULL,
    type text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    at_us bigint NOT NULL,
    outcome text NOT NULL
);
CREATE INDEX message_log_region ON xregion.message_log (region, id);

-- Idempotency: the first reply to a key, per caller key.
CREATE TABLE xregion.requests (
    caller text NOT NULL,
    idempotency_key text NOT NULL,
    type text NOT NULL,
    digest text NOT NULL,
    reply bytea NOT NULL,
    created_at_us bigint NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);
