-- Schema shared by all daemons: the simulated business clock.
CREATE SCHEMA IF NOT EXISTS common;

-- One row: the current business time of a deployment in simulated mode,
-- in microseconds since the Unix epoch. It only moves forward.
CREATE TABLE common.sim_clock (
    id smallint PRIMARY KEY CHECK (id = 1),
    now_us bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
