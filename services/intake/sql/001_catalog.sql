-- The service-item catalog (事项清单) of zwfw-intake: items with every
-- version kept, bundles (一件事一次办), and the idempotency record of the
-- catalog's mutating requests. Written only by zwfw.catalog
-- (services/intake/catalog*.c); docs/decisions-catalog.md explains the
-- choices.
--
-- `body` columns hold the packed protobuf (zwfw.v1.Item / zwfw.v1.Bundle)
-- of that version, read-only fields included: it is what GetItem returns
-- and what an application pinned to the version sees. The other columns
-- are copies of body's fields, for filtering and for SQL reports; they are
-- written from the same message in the same statement, so they never
-- disagree with it. Times are business time in microseconds since 1970
-- (SQL never calls now()).
CREATE SCHEMA IF NOT EXISTS catalog;

-- The current version of each item. Codes sort bytewise (COLLATE "C") so
-- that cursor pagination is stable whatever the database's collation.
CREATE TABLE catalog.items (
    impl_code text COLLATE "C" PRIMARY KEY,
    basic_code text NOT NULL,
    name text NOT NULL,
    item_type integer NOT NULL,
    department_code text NOT NULL,
    department_name text NOT NULL,
    region_code text NOT NULL,
    handling integer NOT NULL CHECK (handling IN (1, 2)),
    cross_scope integer NOT NULL,
    status integer NOT NULL CHECK (status IN (1, 2)), -- 1 active, 2 cancelled
    version integer NOT NULL CHECK (version > 0),
    content_digest text NOT NULL, -- sha256 of the item without read-only fields
    updated_us bigint NOT NULL,
    body bytea NOT NULL
);
CREATE INDEX items_department ON catalog.items (department_code, impl_code);

-- Every version ever made, the current one included: an application keeps
-- the version it was accepted under.
CREATE TABLE catalog.item_versions (
    impl_code text COLLATE "C" NOT NULL REFERENCES catalog.items (impl_code),
    version integer NOT NULL CHECK (version > 0),
    status integer NOT NULL CHECK (status IN (1, 2)),
    change text NOT NULL CHECK (change IN ('create', 'update', 'cancel', 'restore')),
    actor text NOT NULL,
    created_us bigint NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (impl_code, version)
);

-- The current version of each bundle.
CREATE TABLE catalog.bundles (
    code text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    status integer NOT NULL CHECK (status IN (1, 2)),
    version integer NOT NULL CHECK (version > 0),
    content_digest text NOT NULL,
    updated_us bigint NOT NULL,
    body bytea NOT NULL
);

CREATE TABLE catalog.bundle_versions (
    code text COLLATE "C" NOT NULL REFERENCES catalog.bundles (code),
    version integer NOT NULL CHECK (version > 0),
    actor text NOT NULL,
    created_us bigint NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (code, version)
);

-- The members of each bundle's current version, in order: which bundles
-- hold an item, for reports, and a foreign key so a member always exists.
CREATE TABLE catalog.bundle_items (
    bundle_code text COLLATE "C" NOT NULL REFERENCES catalog.bundles (code),
    position integer NOT NULL CHECK (position > 0),
    impl_code text COLLATE "C" NOT NULL REFERENCES catalog.items (impl_code),
    PRIMARY KEY (bundle_code, position),
    UNIQUE (bundle_code, impl_code)
);
CREATE INDEX bundle_items_item ON catalog.bundle_items (impl_code);

-- Idempotency: the first reply to each (caller key, idempotency key),
-- written in the transaction of the change. A retry with the same request
-- gets these bytes again; the same key with another request is refused.
CREATE TABLE catalog.requests (
    caller_key_id text NOT NULL,
    idempotency_key text NOT NULL,
    request_type text NOT NULL,
    request_digest text NOT NULL, -- sha256 of type and request bytes
    reply_type text,
    reply bytea,
    created_us bigint NOT NULL,
    PRIMARY KEY (caller_key_id, idempotency_key)
);
CREATE INDEX requests_created ON catalog.requests (created_us);
