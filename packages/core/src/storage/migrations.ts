/**
 * Numbered SQL migrations: one history, written for both dialects (docs/decisions.md D120). Each
 * runs once, in its own transaction, and is recorded in schema_migrations. Never edit a shipped
 * migration: add the next number, in both dialects.
 */
export interface Migration {
  version: number;
  name: string;
  /** The migration for SQLite (the embedded default). */
  sqlite: string;
  /** The same migration for PostgreSQL: the same tables, columns, keys, checks and guards. */
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sqlite: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  lang TEXT NOT NULL,
  referral_code TEXT NOT NULL UNIQUE,
  balance_cents INTEGER NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
  banned_at INTEGER,
  ban_reason TEXT,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  name TEXT,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_user ON api_keys(user_id, id);

-- Append-only: every balance change is one row here, written in the transaction that causes it.
CREATE TABLE ledger (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('topup', 'order_debit', 'refund', 'adjustment')),
  amount_cents INTEGER NOT NULL,
  balance_after_cents INTEGER NOT NULL CHECK (balance_after_cents >= 0),
  order_id TEXT,
  reason TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_user ON ledger(user_id, id);
CREATE UNIQUE INDEX ledger_one_debit_per_order ON ledger(order_id) WHERE kind = 'order_debit';
CREATE UNIQUE INDEX ledger_one_refund_per_order ON ledger(order_id) WHERE kind = 'refund';
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  status TEXT NOT NULL CHECK (status IN ('WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED')),
  service TEXT NOT NULL,
  country INTEGER NOT NULL,
  phone TEXT NOT NULL,
  activation_id TEXT NOT NULL UNIQUE,
  charged_cents INTEGER NOT NULL CHECK (charged_cents >= 0),
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sms_history TEXT NOT NULL DEFAULT '[]',
  end_reason TEXT
) STRICT;
CREATE INDEX orders_user ON orders(user_id, id);
CREATE INDEX orders_user_status ON orders(user_id, status, id);
CREATE INDEX orders_live ON orders(expires_at) WHERE status IN ('WAITING', 'RECEIVED');
-- Terminal orders never change (docs/decisions.md D4).
CREATE TRIGGER orders_terminal_frozen BEFORE UPDATE ON orders
  WHEN OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
  BEGIN SELECT RAISE(ABORT, 'terminal orders never change'); END;
CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders BEGIN SELECT RAISE(ABORT, 'orders are never deleted'); END;

-- Upstream commands owed (docs/decisions.md D8), sent by the worker with retry and backoff.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('cancel', 'finish', 'next_sms', 'release')),
  activation_id TEXT NOT NULL,
  order_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  done_at INTEGER,
  outcome TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE done_at IS NULL;
CREATE INDEX outbox_activation ON outbox(activation_id, id);

-- A buy in flight (docs/decisions.md D9): written before the upstream is asked for a number, settled by
-- the order's own transaction, reconciled against the upstream's active list otherwise.
CREATE TABLE buy_intents (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  service TEXT NOT NULL,
  country INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'settled', 'failed', 'reconciled')),
  activation_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  note TEXT
) STRICT;
CREATE INDEX buy_intents_pending ON buy_intents(next_attempt_at) WHERE state = 'pending';

CREATE TABLE idempotency_keys (
  user_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  status INTEGER,
  body TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) STRICT;

CREATE TABLE pricing_rules (
  id INTEGER PRIMARY KEY,
  service TEXT,
  country INTEGER,
  markup_bps INTEGER NOT NULL CHECK (markup_bps > -10000),
  floor_cents INTEGER NOT NULL CHECK (floor_cents >= 0)
) STRICT;
CREATE UNIQUE INDEX pricing_rules_scope ON pricing_rules(ifnull(service, ''), ifnull(country, -1));

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`,
    postgres: `
-- Raises the trigger's argument: the guards below refuse what the code never does (D4, D121).
CREATE FUNCTION jiema_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$fn$;

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  lang TEXT NOT NULL,
  referral_code TEXT NOT NULL UNIQUE,
  balance_cents BIGINT NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
  banned_at BIGINT,
  ban_reason TEXT,
  created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  name TEXT,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_user ON api_keys(user_id, id);

-- Append-only: every balance change is one row here, written in the transaction that causes it.
CREATE TABLE ledger (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('topup', 'order_debit', 'refund', 'adjustment')),
  amount_cents BIGINT NOT NULL,
  balance_after_cents BIGINT NOT NULL CHECK (balance_after_cents >= 0),
  order_id TEXT,
  reason TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX ledger_user ON ledger(user_id, id);
CREATE UNIQUE INDEX ledger_one_debit_per_order ON ledger(order_id) WHERE kind = 'order_debit';
CREATE UNIQUE INDEX ledger_one_refund_per_order ON ledger(order_id) WHERE kind = 'refund';
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION jiema_refuse('ledger is append-only');
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION jiema_refuse('ledger is append-only');
-- TRUNCATE skips row triggers: refuse it too.
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION jiema_refuse('ledger is append-only');

CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  status TEXT NOT NULL CHECK (status IN ('WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED')),
  service TEXT NOT NULL,
  country BIGINT NOT NULL,
  phone TEXT NOT NULL,
  activation_id TEXT NOT NULL UNIQUE,
  charged_cents BIGINT NOT NULL CHECK (charged_cents >= 0),
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  sms_history TEXT NOT NULL DEFAULT '[]',
  end_reason TEXT
);
CREATE INDEX orders_user ON orders(user_id, id);
CREATE INDEX orders_user_status ON orders(user_id, status, id);
CREATE INDEX orders_live ON orders(expires_at) WHERE status IN ('WAITING', 'RECEIVED');
-- Terminal orders never change (docs/decisions.md D4).
CREATE TRIGGER orders_terminal_frozen BEFORE UPDATE ON orders FOR EACH ROW
  WHEN (OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED'))
  EXECUTE FUNCTION jiema_refuse('terminal orders never change');
CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION jiema_refuse('orders are never deleted');
CREATE TRIGGER orders_no_truncate BEFORE TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION jiema_refuse('orders are never deleted');

-- Upstream commands owed (docs/decisions.md D8), sent by the worker with retry and backoff.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('cancel', 'finish', 'next_sms', 'release')),
  activation_id TEXT NOT NULL,
  order_id TEXT,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  done_at BIGINT,
  outcome TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE done_at IS NULL;
CREATE INDEX outbox_activation ON outbox(activation_id, id);

-- A buy in flight (docs/decisions.md D9): written before the upstream is asked for a number, settled by
-- the order's own transaction, reconciled against the upstream's active list otherwise.
CREATE TABLE buy_intents (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  service TEXT NOT NULL,
  country BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'settled', 'failed', 'reconciled')),
  activation_id TEXT,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  note TEXT
);
CREATE INDEX buy_intents_pending ON buy_intents(next_attempt_at) WHERE state = 'pending';

CREATE TABLE idempotency_keys (
  user_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  status BIGINT,
  body TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, key)
);

CREATE TABLE pricing_rules (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  service TEXT,
  country BIGINT,
  markup_bps BIGINT NOT NULL CHECK (markup_bps > -10000),
  floor_cents BIGINT NOT NULL CHECK (floor_cents >= 0)
);
CREATE UNIQUE INDEX pricing_rules_scope ON pricing_rules(coalesce(service, ''), coalesce(country, -1));

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'stable user references for seed files',
    sqlite: `
ALTER TABLE users ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX users_external_ref ON users(external_ref) WHERE external_ref IS NOT NULL;
`,
    postgres: `
ALTER TABLE users ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX users_external_ref ON users(external_ref) WHERE external_ref IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'idempotency attempts',
    sqlite: `
-- Each attempt at a keyed request holds the key with a token: only it may record the outcome (docs/decisions.md D42).
ALTER TABLE idempotency_keys ADD COLUMN attempt TEXT;
`,
    postgres: `
-- Each attempt at a keyed request holds the key with a token: only it may record the outcome (docs/decisions.md D42).
ALTER TABLE idempotency_keys ADD COLUMN attempt TEXT;
`,
  },
  {
    version: 4,
    name: 'order events, webhooks and their deliveries',
    sqlite: `
-- Every change of an order, written in the transaction of the change (docs/decisions.md D90): what
-- long-poll, server-sent events and webhooks deliver. seq orders them; id is the stable event id
-- (SSE id, webhook-id).
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('order.updated', 'sms.received')),
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_user ON events(user_id, seq);
CREATE INDEX events_order ON events(order_id, seq);

-- A user's webhook endpoints (docs/decisions.md D92). The signing secret must be usable to sign, so it is
-- kept (D93); during a rotation the previous one signs too until previous_until.
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_until INTEGER,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
) STRICT;
CREATE INDEX webhooks_user ON webhooks(user_id, id);

-- One event owed to one endpoint (docs/decisions.md D94): written with the event, sent with retries
-- until the receiver answers 2xx or 24 hours pass. A redelivery is a new row with the same event.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id),
  event_id TEXT NOT NULL REFERENCES events(id),
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  last_attempt_at INTEGER,
  delivered_at INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
`,
    postgres: `
-- Every change of an order, written in the transaction of the change (docs/decisions.md D90): what
-- long-poll, server-sent events and webhooks deliver. seq orders them; id is the stable event id
-- (SSE id, webhook-id).
CREATE TABLE events (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('order.updated', 'sms.received')),
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX events_user ON events(user_id, seq);
CREATE INDEX events_order ON events(order_id, seq);

-- A user's webhook endpoints (docs/decisions.md D92). The signing secret must be usable to sign, so it is
-- kept (D93); during a rotation the previous one signs too until previous_until.
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_until BIGINT,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX webhooks_user ON webhooks(user_id, id);

-- One event owed to one endpoint (docs/decisions.md D94): written with the event, sent with retries
-- until the receiver answers 2xx or 24 hours pass. A redelivery is a new row with the same event.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id),
  event_id TEXT NOT NULL REFERENCES events(id),
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_status BIGINT,
  last_error TEXT,
  last_attempt_at BIGINT,
  delivered_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
`,
  },
  {
    version: 5,
    name: 'operators order search',
    sqlite: `
-- The operators' order search across users (docs/decisions.md D100): by phone number, and by status.
CREATE INDEX orders_phone ON orders(phone, id);
CREATE INDEX orders_status ON orders(status, id);
`,
    postgres: `
-- The operators' order search across users (docs/decisions.md D100): by phone number, and by status.
CREATE INDEX orders_phone ON orders(phone, id);
CREATE INDEX orders_status ON orders(status, id);
`,
  },
  {
    version: 6,
    name: 'console sessions',
    sqlite: `
-- The console's sign-ins (docs/decisions.md D111): one-time login tokens and sessions. The id is the
-- SHA-256 of the secret the browser holds; the secret itself is never stored.
CREATE TABLE console_sessions (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('login', 'operator', 'user')),
  -- user sessions: the user and the key they signed in with; operator sessions: the user viewed as
  user_id TEXT,
  key_id TEXT,
  -- operator sessions: HMAC of the admin token's digest keyed by the secret, so a new token ends them
  grant_mac TEXT,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
`,
    postgres: `
-- The console's sign-ins (docs/decisions.md D111): one-time login tokens and sessions. The id is the
-- SHA-256 of the secret the browser holds; the secret itself is never stored.
CREATE TABLE console_sessions (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('login', 'operator', 'user')),
  -- user sessions: the user and the key they signed in with; operator sessions: the user viewed as
  user_id TEXT,
  key_id TEXT,
  -- operator sessions: HMAC of the admin token's digest keyed by the secret, so a new token ends them
  grant_mac TEXT,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
`,
  },
  {
    version: 7,
    name: 'rate limit windows',
    sqlite: `
-- Unused on SQLite: one process serves a file, so its rate windows stay in memory. The table is
-- here so both dialects have the same tables (docs/decisions.md D120, D129).
CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  hits TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_windows_expiry ON rate_windows(expires_at);
`,
    postgres: `
-- The rate limiter's sliding windows, shared by every instance (docs/decisions.md D16, D129): per
-- class and key, the times (ms) of the hits accepted in the last window; whether the latest hit
-- was counted; and when the newest leaves the window (then the row may be deleted). UNLOGGED: a
-- hit writes no WAL, so its commit waits for no disk flush; after a crash or a failover the
-- windows start empty, which lets a key at most one more window's worth once.
CREATE UNLOGGED TABLE rate_windows (
  key TEXT PRIMARY KEY,
  hits BIGINT[] NOT NULL,
  allowed BOOLEAN NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX rate_windows_expiry ON rate_windows(expires_at);
`,
  },
  {
    version: 8,
    name: 'bounded rate limit windows',
    sqlite: `
-- Unused on SQLite, as migration 7's table was; the same columns as PostgreSQL's (D120, D129).
DROP TABLE rate_windows;
CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  times TEXT NOT NULL,
  counts TEXT NOT NULL,
  granted INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_windows_expiry ON rate_windows(expires_at);
`,
    postgres: `
-- The rate windows again (docs/decisions.md D129), now bounded: per key, entries of a time (ms) and
-- a count of accepted hits, in two parallel arrays. Under a small limit each hit is its own entry
-- (exact); under a large one, hits close to the newest entry are added to it and move it later,
-- so a window holds about 600 entries whatever the limit. granted: how many hits the latest call
-- was given (0: refused). The windows are disposable, so the table is dropped, not converted:
-- every key starts with an empty window.
DROP TABLE rate_windows;
CREATE UNLOGGED TABLE rate_windows (
  key TEXT PRIMARY KEY,
  times BIGINT[] NOT NULL,
  counts BIGINT[] NOT NULL,
  granted BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX rate_windows_expiry ON rate_windows(expires_at);
`,
  },
];
