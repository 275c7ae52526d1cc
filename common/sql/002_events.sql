-- Events (DESIGN.md "Events: the store is the log, ZeroMQ is the doorbell").
--
-- One schema shared by every daemon, unlike the rule that each daemon owns
-- its own schema: the relay and consumer code is the same for all of them.
-- A daemon writes only the outbox and log rows of its own streams and the
-- cursors of its own consumers (docs/decisions-events.md).
CREATE SCHEMA IF NOT EXISTS events;

-- Events written in the producer's transaction, together with the change
-- they describe. The relay moves them to events.log in id order; ids are
-- only an order, their gaps do not matter.
CREATE TABLE events.outbox (
    id bigserial PRIMARY KEY,
    stream text NOT NULL,
    type text NOT NULL,
    aggregate_id text NOT NULL,
    occurred_at_us bigint NOT NULL,  -- business time, microseconds since 1970
    event_id uuid NOT NULL DEFAULT gen_random_uuid(),
    payload bytea NOT NULL
);
CREATE INDEX outbox_stream_id ON events.outbox (stream, id);

-- One row per stream: the last seq handed out. Seqs come from this row,
-- updated in the relay's batch transaction, never from a sequence (which
-- leaves gaps when a transaction rolls back).
CREATE TABLE events.stream_head (
    stream text PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- Every seq at or below this was removed by retention.
    trimmed_seq bigint NOT NULL DEFAULT 0 CHECK (trimmed_seq >= 0)
);

-- The streams: seq 1, 2, 3... per stream, no gap, no duplicate. Rows are
-- deleted only by retention, from the oldest end.
CREATE TABLE events.log (
    stream text NOT NULL,
    seq bigint NOT NULL CHECK (seq > 0),
    type text NOT NULL,
    aggregate_id text NOT NULL,
    occurred_at_us bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    producer text NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (stream, seq)
);

-- Where each consumer stands in each stream it follows. Replicas of one
-- consumer share the row and advance it by compare-and-set in the
-- transaction that applies the event. A registered cursor holds back
-- retention; failures/alarm record a handler stuck on one event.
CREATE TABLE events.cursors (
    consumer text NOT NULL,
    stream text NOT NULL,
    last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    registered boolean NOT NULL DEFAULT true,
    failures integer NOT NULL DEFAULT 0,
    failing_seq bigint,
    last_error text,
    alarm boolean NOT NULL DEFAULT false,
    PRIMARY KEY (consumer, stream)
);
CREATE INDEX cursors_stream ON events.cursors (stream);
