-- zwfw-intake: applications (办件), their history and materials, receipt
-- numbers, idempotency records, materials on file and the credit list.
-- No ID number, phone number or address is stored in clear: *_enc columns
-- hold libsodium-sealed values (services/intake/pii.h), applicant_key the
-- keyed hash used to find an applicant again, *_masked what logs, events
-- and unprivileged readers see.
CREATE SCHEMA IF NOT EXISTS intake;

-- Receipt numbers are handed out in blocks: a worker thread takes the next
-- `block` numbers of a day in one short statement of its own and uses them
-- up; numbers of a block a thread did not use before it stopped are never
-- used (numbers may skip; docs/decisions-intake.md).
CREATE TABLE intake.receipt_blocks (
    division text NOT NULL,
    day date NOT NULL,
    next_no bigint NOT NULL CHECK (next_no > 0),
    PRIMARY KEY (division, day)
);

CREATE TABLE intake.applications (
    receipt_number text PRIMARY KEY,
    parent_receipt text REFERENCES intake.applications (receipt_number),
    bundle_code text NOT NULL DEFAULT '',
    item_code text NOT NULL DEFAULT '',
    item_version integer NOT NULL DEFAULT 0,
    item_name text NOT NULL DEFAULT '',
    department_code text NOT NULL DEFAULT '',
    department_name text NOT NULL DEFAULT '',
    handling smallint NOT NULL DEFAULT 0,
    channel smallint NOT NULL,
    window_id text NOT NULL DEFAULT '',
    region text NOT NULL,
    submitter text NOT NULL,             -- key id of the caller that submitted
    state smallint NOT NULL CHECK (state BETWEEN 1 AND 15),
    applicant_kind smallint NOT NULL,
    applicant_name text NOT NULL,
    applicant_id_type smallint NOT NULL,
    applicant_id_enc bytea NOT NULL,
    applicant_id_masked text NOT NULL,
    applicant_key bytea NOT NULL,
    agent_name text NOT NULL DEFAULT '',
    agent_id_type smallint NOT NULL DEFAULT 0,
    agent_id_enc bytea,
    agent_id_masked text NOT NULL DEFAULT '',
    phone_enc bytea,
    phone_masked text NOT NULL DEFAULT '',
    address_enc bytea,
    received_at_us bigint NOT NULL,
    notice_given_at_us bigint,            -- NULL: no notice (receive only)
    accepted_at_us bigint,
    due_at_us bigint,
    statutory_due_at_us bigint,
    completed_at_us bigint,
    deemed_accepted boolean NOT NULL DEFAULT false,
    receive_only boolean NOT NULL DEFAULT false,
    commitment_signed boolean NOT NULL DEFAULT false,
    committed_materials text[] NOT NULL DEFAULT '{}',
    notify_commitment boolean NOT NULL DEFAULT false,
    commitment_notified boolean NOT NULL DEFAULT false,
    waived_materials text[] NOT NULL DEFAULT '{}',
    supply_by date,
    withdrawal_requested boolean NOT NULL DEFAULT false,
    last_seq bigint NOT NULL DEFAULT 0,   -- newest workflow event applied
    notice bytea,                         -- the last notice (zwfw.v1.Notice)
    updated_at_us bigint NOT NULL
);
CREATE INDEX applications_received ON intake.applications (received_at_us, receipt_number);
CREATE INDEX applications_applicant ON intake.applications (applicant_key, received_at_us);
CREATE INDEX applications_item ON intake.applications (item_code, received_at_us);
CREATE INDEX applications_parent ON intake.applications (parent_receipt)
    WHERE parent_receipt IS NOT NULL;
-- The 5-working-day sweep looks only at these.
CREATE INDEX applications_unnoticed ON intake.applications (received_at_us)
    WHERE state = 1 AND notice_given_at_us IS NULL;

-- Every state change, with time and actor.
CREATE TABLE intake.history (
    id bigserial PRIMARY KEY,
    receipt_number text NOT NULL REFERENCES intake.applications,
    state smallint NOT NULL,
    at_us bigint NOT NULL,
    actor text NOT NULL,
    note text NOT NULL DEFAULT '',
    seq bigint NOT NULL DEFAULT 0        -- the workflow event it came from, if any
);
CREATE INDEX history_receipt ON intake.history (receipt_number, id);

-- Material references handed in for an application (never the bytes).
CREATE TABLE intake.materials (
    id bigserial PRIMARY KEY,
    receipt_number text NOT NULL REFERENCES intake.applications,
    material_code text NOT NULL,
    name text NOT NULL DEFAULT '',
    media_type text NOT NULL DEFAULT '',
    sha256 text NOT NULL,
    size bigint NOT NULL CHECK (size >= 0),
    uri text NOT NULL DEFAULT '',
    original boolean NOT NULL DEFAULT false,
    copies integer NOT NULL DEFAULT 0,
    reused boolean NOT NULL DEFAULT false, -- taken from the applicant's materials on file
    added_at_us bigint NOT NULL
);
CREATE INDEX materials_receipt ON intake.materials (receipt_number, id);

-- Materials on file (重复提交 fixed): the newest reference an applicant
-- handed in for each kind of document, counted again for later
-- applications of any item that asks for the same document. The kind is
-- the catalog's name of the material (material codes are per item; the
-- names are what items share: 申请人身份证明, 营业执照...); per-application
-- forms are never reused (setting reuse_exclude).
CREATE TABLE intake.materials_on_file (
    applicant_key bytea NOT NULL,
    material_name text NOT NULL,           -- the catalog's name of the material
    material_code text NOT NULL,           -- the item's code it was handed in as
    name text NOT NULL DEFAULT '',         -- the reference's own name (file name)
    media_type text NOT NULL DEFAULT '',
    sha256 text NOT NULL,
    size bigint NOT NULL,
    uri text NOT NULL DEFAULT '',
    first_receipt text NOT NULL,
    stored_at_us bigint NOT NULL,
    PRIMARY KEY (applicant_key, material_name)
);

-- The credit list: applicants excluded from 容缺 and 告知承诺 (an operator
-- loads it).
CREATE TABLE intake.credit_list (
    applicant_key bytea PRIMARY KEY,
    id_masked text NOT NULL,
    reason text NOT NULL,
    listed_at_us bigint NOT NULL,
    listed_by text NOT NULL
);

-- One row per mutating request: the idempotency record. The first request
-- with a key inserts it in the transaction that does the work; a retry
-- finds it and answers with what the first one did. digest is a keyed
-- hash of the request bytes (the request holds personal data).
CREATE TABLE intake.requests (
    caller text NOT NULL,
    idempotency_key text NOT NULL,
    kind text NOT NULL,
    digest bytea NOT NULL,
    receipt_number text NOT NULL DEFAULT '',
    notice bytea,
    result_us bigint,
    created_at_us bigint NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);

-- Applicant requests intake records and forwards to workflow (withdrawal
-- after acceptance, 补正 materials after acceptance).
CREATE TABLE intake.forwarded (
    id bigserial PRIMARY KEY,
    receipt_number text NOT NULL REFERENCES intake.applications,
    kind text NOT NULL,
    reason text NOT NULL DEFAULT '',
    actor text NOT NULL,
    at_us bigint NOT NULL
);
