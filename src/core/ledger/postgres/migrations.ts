// Numbered schema migrations of the PostgreSQL ledger. Append only: never edit a shipped migration.
// `{schema}` is replaced by the quoted schema name; migrate() applies them under an advisory lock.
export const postgresMigrations: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE {schema}.links (
  id BIGSERIAL PRIMARY KEY,
  connection TEXT NOT NULL,
  a_id TEXT NOT NULL,
  b_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'unlinked', 'flagged', 'closed')),
  a_version TEXT,
  b_version TEXT,
  note TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX links_a ON {schema}.links (connection, a_id);
CREATE UNIQUE INDEX links_b ON {schema}.links (connection, b_id);
CREATE INDEX links_state ON {schema}.links (connection, state, id);

CREATE TABLE {schema}.baselines (
  link_id BIGINT NOT NULL REFERENCES {schema}.links (id),
  field TEXT NOT NULL,
  a_value JSONB NOT NULL,
  b_value JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (link_id, field)
);

CREATE TABLE {schema}.comment_map (
  link_id BIGINT NOT NULL REFERENCES {schema}.links (id),
  side TEXT NOT NULL CHECK (side IN ('a', 'b')),
  comment_id TEXT NOT NULL,
  role TEXT NOT NULL,
  twin_id TEXT,
  visibility TEXT NOT NULL,
  PRIMARY KEY (link_id, side, comment_id)
);

CREATE TABLE {schema}.intents (
  id BIGSERIAL PRIMARY KEY,
  connection TEXT NOT NULL,
  kind TEXT NOT NULL,
  target_side TEXT NOT NULL CHECK (target_side IN ('a', 'b')),
  source_id TEXT NOT NULL,
  link_id BIGINT,
  marker TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX intents_source ON {schema}.intents (connection, kind, target_side, source_id);
CREATE INDEX intents_pending ON {schema}.intents (state, connection);

CREATE TABLE {schema}.events (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  connection TEXT NOT NULL,
  link_id BIGINT,
  side TEXT,
  field TEXT,
  kind TEXT NOT NULL,
  old_value JSONB,
  new_value JSONB,
  reason TEXT NOT NULL
);
CREATE INDEX events_link ON {schema}.events (link_id, id);
CREATE INDEX events_connection ON {schema}.events (connection, id);
CREATE INDEX events_kind ON {schema}.events (kind, id);

CREATE TABLE {schema}.cursors (
  connection TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('a', 'b')),
  since TEXT,
  seen_ids JSONB NOT NULL DEFAULT '[]',
  last_poll_at TEXT,
  last_success_at TEXT,
  last_error TEXT,
  PRIMARY KEY (connection, side)
);

CREATE TABLE {schema}.conflicts (
  id BIGSERIAL PRIMARY KEY,
  connection TEXT NOT NULL,
  link_id BIGINT NOT NULL REFERENCES {schema}.links (id),
  field TEXT NOT NULL,
  a_value JSONB NOT NULL,
  b_value JSONB NOT NULL,
  baseline JSONB NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
  created_at TIMESTAMPTZ NOT NULL,
  resolved_at TIMESTAMPTZ,
  resolution TEXT
);
CREATE INDEX conflicts_open ON {schema}.conflicts (state, connection);
-- At most one open conflict per (link, field), even when two instances open it at once.
CREATE UNIQUE INDEX conflicts_link_open ON {schema}.conflicts (link_id, field) WHERE state = 'open';

CREATE TABLE {schema}.errors (
  id BIGSERIAL PRIMARY KEY,
  connection TEXT NOT NULL,
  link_id BIGINT,
  side TEXT,
  ticket_id TEXT,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  retryable BOOLEAN NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX errors_open ON {schema}.errors (state, connection);
CREATE INDEX errors_link ON {schema}.errors (link_id) WHERE state = 'open';
-- At most one open error per subject and code, so recordError can upsert (attempts + 1).
CREATE UNIQUE INDEX errors_subject_open ON {schema}.errors (connection, COALESCE(link_id, 0), COALESCE(side, ''), COALESCE(ticket_id, ''), code) WHERE state = 'open';

-- Leases: which instance works on a link or a source ticket until expires_at (database time).
CREATE TABLE {schema}.claims (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'update intents',
    sql: `
ALTER TABLE {schema}.intents ADD COLUMN payload JSONB;
CREATE INDEX intents_link ON {schema}.intents (link_id, state);
`,
  },
  {
    version: 3,
    name: 'ticket keys',
    sql: `
ALTER TABLE {schema}.links ADD COLUMN a_key TEXT, ADD COLUMN b_key TEXT;
`,
  },
  {
    version: 4,
    name: 'connector memos',
    sql: `
ALTER TABLE {schema}.links ADD COLUMN a_memo JSONB, ADD COLUMN b_memo JSONB;
`,
  },
  {
    version: 5,
    name: 'event data',
    sql: `
ALTER TABLE {schema}.events ADD COLUMN data JSONB;
CREATE INDEX events_at ON {schema}.events (at, id);
`,
  },
  {
    version: 6,
    name: 'attachment map',
    sql: `
CREATE TABLE {schema}.attachment_map (
  link_id BIGINT NOT NULL REFERENCES {schema}.links (id),
  side TEXT NOT NULL CHECK (side IN ('a', 'b')),
  attachment_id TEXT NOT NULL,
  role TEXT NOT NULL,
  twin_id TEXT,
  visibility TEXT NOT NULL,
  PRIMARY KEY (link_id, side, attachment_id)
);
`,
  },
  {
    version: 7,
    name: 'connection pauses',
    sql: `
CREATE TABLE {schema}.pauses (
  connection TEXT PRIMARY KEY,
  paused_at TEXT NOT NULL,
  note TEXT
);
`,
  },
  {
    version: 8,
    name: 'first syncs and archived links',
    sql: `
ALTER TABLE {schema}.links ADD COLUMN closed_since TEXT;
ALTER TABLE {schema}.links DROP CONSTRAINT IF EXISTS links_state_check;
ALTER TABLE {schema}.links ADD CONSTRAINT links_state_check
  CHECK (state IN ('active', 'unlinked', 'flagged', 'closed', 'archived'));
CREATE TABLE {schema}.first_syncs (
  connection TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
`,
  },
];
