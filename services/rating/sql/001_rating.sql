-- zwfw-rating: 好差评 ratings, their follow-ups (追评), the rectification
-- case of every bad rating (差评) with its callbacks (回访) and appeal
-- (申诉复核), and idempotency records. No personal data: a rating names
-- the application by receipt number; the rater's contact stays in intake.
CREATE SCHEMA IF NOT EXISTS rating;

CREATE TABLE rating.ratings (
    id bigserial PRIMARY KEY,
    receipt_number text NOT NULL UNIQUE,   -- one rating per application
    channel smallint NOT NULL CHECK (channel BETWEEN 1 AND 8),
    level smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    reason text NOT NULL DEFAULT '',
    dimensions smallint[] NOT NULL DEFAULT '{}', -- pairs: dimension, level, ...
    real_name boolean NOT NULL DEFAULT false,
    staff_id text NOT NULL DEFAULT '',
    rated_at_us bigint NOT NULL,
    rated_day date NOT NULL,               -- business date (Asia/Shanghai) of rated_at
    submitted_by text NOT NULL,            -- key id of the channel system
    -- the application's facts when it was rated
    item_code text NOT NULL DEFAULT '',
    item_version integer NOT NULL DEFAULT 0,
    item_name text NOT NULL DEFAULT '',
    department_code text NOT NULL DEFAULT '',
    department_name text NOT NULL DEFAULT '',
    region text NOT NULL DEFAULT '',
    app_state smallint NOT NULL,
    app_channel smallint NOT NULL,
    service_mode smallint NOT NULL CHECK (service_mode IN (1, 2)),
    excluded boolean NOT NULL DEFAULT false,
    follow_ups integer NOT NULL DEFAULT 0
);
CREATE INDEX ratings_day ON rating.ratings (rated_day, id);
CREATE INDEX ratings_department ON rating.ratings (department_code, id);
CREATE INDEX ratings_submitter ON rating.ratings (submitted_by, id);

CREATE TABLE rating.follow_ups (
    rating_id bigint NOT NULL REFERENCES rating.ratings,
    seq integer NOT NULL,
    text text NOT NULL,
    channel smallint NOT NULL,
    at_us bigint NOT NULL,
    PRIMARY KEY (rating_id, seq)
);

CREATE TABLE rating.cases (
    id bigserial PRIMARY KEY,
    rating_id bigint NOT NULL UNIQUE REFERENCES rating.ratings,
    receipt_number text NOT NULL,
    department_code text NOT NULL,
    status smallint NOT NULL DEFAULT 1 CHECK (status BETWEEN 1 AND 3),
    opened_at_us bigint NOT NULL,
    due_date date NOT NULL,
    workdays integer NOT NULL,
    callback_required boolean NOT NULL,
    outcome smallint NOT NULL DEFAULT 0,
    resolution text NOT NULL DEFAULT '',
    rater_informed boolean NOT NULL DEFAULT false,
    closed_at_us bigint,
    closed_day date,
    closed_by text NOT NULL DEFAULT '',
    appeal_status smallint NOT NULL DEFAULT 0,
    appeal_reason text NOT NULL DEFAULT '',
    appeal_by text NOT NULL DEFAULT '',
    appeal_at_us bigint,
    appeal_note text NOT NULL DEFAULT '',
    appeal_decided_by text NOT NULL DEFAULT '',
    appeal_decided_at_us bigint,
    overdue_raised boolean NOT NULL DEFAULT false, -- CaseOverdue published
    updated_at_us bigint NOT NULL
);
CREATE INDEX cases_department ON rating.cases (department_code, id);
-- The overdue sweep looks only at open cases.
CREATE INDEX cases_open_due ON rating.cases (due_date, id) WHERE status = 1;

CREATE TABLE rating.callbacks (
    case_id bigint NOT NULL REFERENCES rating.cases,
    seq integer NOT NULL,
    at_us bigint NOT NULL,
    actor text NOT NULL,
    reached boolean NOT NULL,
    note text NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Idempotency: the first reply to a key, per caller key.
CREATE TABLE rating.requests (
    caller text NOT NULL,
    idempotency_key text NOT NULL,
    type text NOT NULL,
    digest text NOT NULL,
    reply bytea NOT NULL,
    created_at_us bigint NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);
