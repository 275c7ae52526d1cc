-- Supplements and withdrawals of forwarded parts (XrAction). The receiving
-- side counts what it sent (action_seq) and what the home side answered
-- (actions_answered, with the last refusal); the home side queues each
-- action it received until its intake has answered it.
ALTER TABLE xregion.parts
    ADD COLUMN action_seq integer NOT NULL DEFAULT 0,
    ADD COLUMN actions_answered integer NOT NULL DEFAULT 0,
    ADD COLUMN action_error_code integer NOT NULL DEFAULT 0,
    ADD COLUMN action_error_message text NOT NULL DEFAULT '';

CREATE TABLE xregion.actions (
    exchange_id text NOT NULL,
    part_no integer NOT NULL,
    seq integer NOT NULL,
    kind smallint NOT NULL CHECK (kind IN (1, 2)),
    body bytea NOT NULL,                 -- sealed XrAction
    state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)), -- waiting, done, refused
    attempts integer NOT NULL DEFAULT 0,
    next_try_us bigint NOT NULL DEFAULT 0, -- wall clock
    received_at_us bigint NOT NULL,
    PRIMARY KEY (exchange_id, part_no, seq),
    FOREIGN KEY (exchange_id, part_no) REFERENCES xregion.parts
);
CREATE INDEX actions_waiting ON xregion.actions (received_at_us) WHERE state = 0;
