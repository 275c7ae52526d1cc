-- zwfw-workflow: process definitions, instances (one per accepted 承诺件),
-- their tracks (the main line and 并联 branches), pause intervals, history,
-- supervision alarms and idempotency records. Business times are
-- microseconds since the epoch from the daemon's clock (never now()).
CREATE SCHEMA IF NOT EXISTS workflow;

-- Versioned definitions (services/workflow/definition.h). A (code, version)
-- never changes once stored; instances are pinned to one.
CREATE TABLE workflow.definitions (
    code text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    name text NOT NULL DEFAULT '',
    body text NOT NULL,                  -- the JSON as loaded
    checksum text NOT NULL,              -- md5 of body
    items text[] NOT NULL DEFAULT '{}',
    is_default boolean NOT NULL DEFAULT false,
    created_at_us bigint NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (code, version)
);
CREATE INDEX definitions_items ON workflow.definitions USING gin (items);

CREATE TABLE workflow.instances (
    id bigserial PRIMARY KEY,
    -- One process per application, ever: with the consumer's cursor this
    -- is what makes a replayed ApplicationAccepted start nothing.
    receipt_number text NOT NULL UNIQUE,
    def_code text NOT NULL,
    def_version integer NOT NULL,
    item_code text NOT NULL DEFAULT '',
    item_version integer NOT NULL DEFAULT 0,
    department text NOT NULL,            -- lead department
    region text NOT NULL DEFAULT '',
    waiver boolean NOT NULL DEFAULT false,
    status smallint NOT NULL CHECK (status IN (1, 2)),  -- 1 open, 2 closed
    outcome smallint NOT NULL DEFAULT 0,
    app_state smallint NOT NULL DEFAULT 0,
    accepted_us bigint NOT NULL,
    started_us bigint NOT NULL,
    closed_us bigint,
    promised_amount integer NOT NULL DEFAULT 0,
    promised_unit smallint NOT NULL DEFAULT 0,
    promised_start_us bigint NOT NULL DEFAULT 0,
    statutory_amount integer NOT NULL DEFAULT 0,
    statutory_unit smallint NOT NULL DEFAULT 0,
    statutory_start_us bigint NOT NULL DEFAULT 0,
    extension_min bigint NOT NULL DEFAULT 0,
    extensions integer NOT NULL DEFAULT 0,
    next_seq bigint NOT NULL DEFAULT 1,  -- next history seq
    -- Derived at every change, for lists and the daily scan: due and
    -- warning moments of the instance's clocks (NULL while a pause holds
    -- the clock), the earliest due.
    promised_due_us bigint,
    promised_warn_us bigint,
    statutory_due_us bigint,
    statutory_warn_us bigint,
    due_us bigint,
    -- The sweeper's work queue: the next moment an alarm may fall due.
    next_check_us bigint,
    sweep_failures integer NOT NULL DEFAULT 0,
    sweep_error text,
    updated_us bigint NOT NULL,
    FOREIGN KEY (def_code, def_version) REFERENCES workflow.definitions
);
CREATE INDEX instances_sweep ON workflow.instances (next_check_us) WHERE status = 1;
CREATE INDEX instances_department ON workflow.instances (department, id);
CREATE INDEX instances_due ON workflow.instances (due_us) WHERE status = 1;

-- Track 0 is the main line; 1.. the branches of a fork.
CREATE TABLE workflow.tracks (
    instance_id bigint NOT NULL REFERENCES workflow.instances ON DELETE CASCADE,
    track smallint NOT NULL CHECK (track >= 0),
    name text NOT NULL DEFAULT '',
    label text NOT NULL DEFAULT '',
    department text NOT NULL,
    state text NOT NULL,
    prev_state text NOT NULL DEFAULT '',
    entered_us bigint NOT NULL,
    entered_seq bigint NOT NULL,
    done boolean NOT NULL DEFAULT false,
    outcome smallint NOT NULL DEFAULT 0,
    limit_amount integer NOT NULL DEFAULT 0,   -- a branch's own clock
    limit_unit smallint NOT NULL DEFAULT 0,
    clock_start_us bigint NOT NULL DEFAULT 0,
    due_us bigint,                             -- derived, like the instance's
    warn_us bigint,
    stuck_us bigint,                           -- abnormal after this
    PRIMARY KEY (instance_id, track)
);
CREATE INDEX tracks_department ON workflow.tracks (department, instance_id) WHERE NOT done;

CREATE TABLE workflow.pauses (
    id bigserial PRIMARY KEY,
    instance_id bigint NOT NULL REFERENCES workflow.instances ON DELETE CASCADE,
    track smallint NOT NULL,
    kind smallint NOT NULL CHECK (kind IN (1, 2)),  -- 1 补正, 2 特别程序
    state text NOT NULL,
    start_us bigint NOT NULL,
    end_us bigint,                                  -- NULL while open
    CHECK (end_us IS NULL OR end_us >= start_us)
);
CREATE INDEX pauses_instance ON workflow.pauses (instance_id, id);

CREATE TABLE workflow.history (
    instance_id bigint NOT NULL REFERENCES workflow.instances ON DELETE CASCADE,
    seq bigint NOT NULL,
    track smallint NOT NULL,
    branch text NOT NULL DEFAULT '',
    action text NOT NULL,
    from_state text NOT NULL DEFAULT '',
    to_state text NOT NULL DEFAULT '',
    actor text NOT NULL DEFAULT '',
    caller_key_id text NOT NULL DEFAULT '',
    caller_role smallint NOT NULL DEFAULT 0,
    comment text NOT NULL DEFAULT '',
    materials bytea,                      -- packed zwfw.v1.HistoryEntry holding only materials
    at_us bigint NOT NULL,
    PRIMARY KEY (instance_id, seq)
);

-- Each alarm once: per instance, track, kind, clock and due time (an
-- abnormal alarm: per entry into the state, keyed by the entry's seq).
CREATE TABLE workflow.alarms (
    id bigserial PRIMARY KEY,
    instance_id bigint NOT NULL REFERENCES workflow.instances ON DELETE CASCADE,
    track smallint NOT NULL,
    kind smallint NOT NULL CHECK (kind IN (1, 2, 3)),
    clock smallint NOT NULL,
    due_key bigint NOT NULL,
    due_us bigint NOT NULL,
    department text NOT NULL,
    receipt_number text NOT NULL,
    branch text NOT NULL DEFAULT '',
    state text NOT NULL DEFAULT '',
    raised_at_us bigint NOT NULL,
    UNIQUE (instance_id, track, kind, clock, due_key)
);
CREATE INDEX alarms_department ON workflow.alarms (department, id);

-- Idempotency: the first reply to a key, per caller key.
CREATE TABLE workflow.requests (
    caller text NOT NULL,
    idempotency_key text NOT NULL,
    type text NOT NULL,
    digest text NOT NULL,                -- of the request bytes
    reply bytea NOT NULL,
    created_at_us bigint NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);
