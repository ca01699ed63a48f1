// Numbered schema migrations of the SQLite ledger. Append only: never edit a shipped migration.
export const sqliteMigrations: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE links (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  a_id TEXT NOT NULL,
  b_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'active',
  a_version TEXT,
  b_version TEXT,
  note TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX links_a ON links(connection, a_id);
CREATE UNIQUE INDEX links_b ON links(connection, b_id);
CREATE INDEX links_state ON links(connection, state, id);

CREATE TABLE baselines (
  link_id INTEGER NOT NULL REFERENCES links(id),
  field TEXT NOT NULL,
  a_value TEXT NOT NULL,
  b_value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (link_id, field)
) WITHOUT ROWID;

CREATE TABLE comment_map (
  link_id INTEGER NOT NULL REFERENCES links(id),
  side TEXT NOT NULL,
  comment_id TEXT NOT NULL,
  role TEXT NOT NULL,
  twin_id TEXT,
  visibility TEXT NOT NULL,
  PRIMARY KEY (link_id, side, comment_id)
) WITHOUT ROWID;

CREATE TABLE intents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  kind TEXT NOT NULL,
  target_side TEXT NOT NULL,
  source_id TEXT NOT NULL,
  link_id INTEGER,
  marker TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX intents_source ON intents(connection, kind, target_side, source_id);
CREATE INDEX intents_pending ON intents(state, connection);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  connection TEXT NOT NULL,
  link_id INTEGER,
  side TEXT,
  field TEXT,
  kind TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  reason TEXT NOT NULL
);
CREATE INDEX events_link ON events(link_id, id);
CREATE INDEX events_connection ON events(connection, id);

CREATE TABLE cursors (
  connection TEXT NOT NULL,
  side TEXT NOT NULL,
  since TEXT,
  seen_ids TEXT NOT NULL DEFAULT '[]',
  last_poll_at TEXT,
  last_success_at TEXT,
  last_error TEXT,
  PRIMARY KEY (connection, side)
) WITHOUT ROWID;

CREATE TABLE conflicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  link_id INTEGER NOT NULL REFERENCES links(id),
  field TEXT NOT NULL,
  a_value TEXT NOT NULL,
  b_value TEXT NOT NULL,
  baseline TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  created_at TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT
);
CREATE INDEX conflicts_open ON conflicts(state, connection);
CREATE INDEX conflicts_link ON conflicts(link_id, field, state);

CREATE TABLE errors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  link_id INTEGER,
  side TEXT,
  ticket_id TEXT,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  retryable INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1,
  state TEXT NOT NULL DEFAULT 'open',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX errors_open ON errors(state, connection);
CREATE INDEX errors_subject ON errors(connection, link_id, side, ticket_id, state);

CREATE TABLE claims (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'update intents',
    sql: `
ALTER TABLE intents ADD COLUMN payload TEXT;
CREATE INDEX intents_link ON intents(link_id, state);
`,
  },
  {
    version: 3,
    name: 'ticket keys',
    sql: `
ALTER TABLE links ADD COLUMN a_key TEXT;
ALTER TABLE links ADD COLUMN b_key TEXT;
`,
  },
  {
    version: 4,
    name: 'connector memos',
    sql: `
ALTER TABLE links ADD COLUMN a_memo TEXT;
ALTER TABLE links ADD COLUMN b_memo TEXT;
`,
  },
  {
    version: 5,
    name: 'event data',
    sql: `
ALTER TABLE events ADD COLUMN data TEXT;
CREATE INDEX events_at ON events(at, id);
`,
  },
  {
    version: 6,
    name: 'attachment map',
    sql: `
CREATE TABLE attachment_map (
  link_id INTEGER NOT NULL REFERENCES links(id),
  side TEXT NOT NULL,
  attachment_id TEXT NOT NULL,
  role TEXT NOT NULL,
  twin_id TEXT,
  visibility TEXT NOT NULL,
  PRIMARY KEY (link_id, side, attachment_id)
) WITHOUT ROWID;
`,
  },
  {
    version: 7,
    name: 'connection pauses',
    sql: `
CREATE TABLE pauses (
  connection TEXT PRIMARY KEY,
  paused_at TEXT NOT NULL,
  note TEXT
) WITHOUT ROWID;
`,
  },
  {
    version: 8,
    name: 'first syncs and archived links',
    sql: `
ALTER TABLE links ADD COLUMN closed_since TEXT;
CREATE TABLE first_syncs (
  connection TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT
) WITHOUT ROWID;
`,
  },
];
