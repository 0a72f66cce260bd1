-- The embedded default's database: one SQLite file (WAL mode) holding the actions log, the state store,
-- the opportunity source, content artifacts and the sandbox platforms' accounts.
-- Applied by connectors.local.db.Database on open; every statement is idempotent (IF NOT EXISTS).
--
-- Conventions: timestamps are TEXT in UTC, fixed width ("2026-11-20T09:12:00.000000+00:00") so that string
-- order is time order; JSON values are TEXT; money is a decimal string (never a float).

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,   -- schema_version, seeded_at
  value TEXT NOT NULL
);

-- ----------------------------------------------------------------------------- actions log (append-only)
-- Columns of the original marketing_ai.actions_log plus event_id/seq/event_time/run_id/verdict/checks/plan_hash.
CREATE TABLE IF NOT EXISTS actions_log (
  row_no                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order (tie-break)
  event_id                TEXT NOT NULL UNIQUE,               -- ActionRecord.event_id: a duplicate write is ignored
  action_id               TEXT NOT NULL,
  seq                     INTEGER NOT NULL,
  opportunity_id          TEXT,
  organization_id         TEXT NOT NULL,
  action_type             TEXT NOT NULL,
  platform                TEXT NOT NULL,
  payload                 TEXT NOT NULL,                      -- JSON
  status                  TEXT NOT NULL,
  event_time              TEXT NOT NULL,
  run_id                  TEXT NOT NULL,
  executed_at             TEXT,
  executed_by             TEXT,
  result                  TEXT,                               -- JSON
  error_message           TEXT,
  rollback_plan           TEXT,                               -- JSON
  rolled_back_at          TEXT,
  measurement_checkpoints TEXT NOT NULL DEFAULT '[]',         -- JSON array of timestamps
  verdict                 TEXT,                               -- JSON
  checks                  TEXT NOT NULL DEFAULT '[]',         -- JSON array
  plan_hash               TEXT,
  inserted_at             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_log_action ON actions_log (action_id, seq);
CREATE INDEX IF NOT EXISTS actions_log_org_time ON actions_log (organization_id, event_time);
CREATE INDEX IF NOT EXISTS actions_log_opportunity ON actions_log (opportunity_id);

CREATE TRIGGER IF NOT EXISTS actions_log_no_update BEFORE UPDATE ON actions_log
BEGIN
  SELECT RAISE(ABORT, 'actions_log is append-only');
END;
CREATE TRIGGER IF NOT EXISTS actions_log_no_delete BEFORE DELETE ON actions_log
BEGIN
  SELECT RAISE(ABORT, 'actions_log is append-only');
END;

-- The web console's index of the current state of every action (one row per action, kept by a trigger
-- on every insert): history pages filter, search and paginate here instead of ranking the whole log.
-- Derived data only: `Database.create_schema` fills it from the log when it is empty.
CREATE TABLE IF NOT EXISTS action_heads (
  action_id       TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  row_no          INTEGER NOT NULL,
  status          TEXT NOT NULL,
  action_type     TEXT NOT NULL,
  platform        TEXT NOT NULL,
  campaign        TEXT,             -- the target's campaign id, else the snapshot's campaign name
  title           TEXT,             -- the opportunity's title (searched)
  verdict         TEXT,             -- the final measured verdict (successful, failed, ...), if any
  event_time      TEXT NOT NULL
);
-- Newest first within an org (row_no breaks ties, so no sort), per status and per type; titles for search.
DROP INDEX IF EXISTS action_heads_org_time;
DROP INDEX IF EXISTS action_heads_org_status;
DROP INDEX IF EXISTS action_heads_org_type;
CREATE INDEX IF NOT EXISTS action_heads_org_recent ON action_heads (organization_id, event_time, row_no);
CREATE INDEX IF NOT EXISTS action_heads_org_status_recent ON action_heads (organization_id, status, event_time, row_no);
CREATE INDEX IF NOT EXISTS action_heads_org_type_recent ON action_heads (organization_id, action_type, event_time,
                                                                         row_no);
CREATE INDEX IF NOT EXISTS action_heads_org_title ON action_heads (organization_id, title, action_id);
CREATE TRIGGER IF NOT EXISTS action_heads_track AFTER INSERT ON actions_log
BEGIN
  INSERT INTO action_heads (action_id, organization_id, seq, row_no, status, action_type, platform, campaign,
                            title, verdict, event_time)
  VALUES (NEW.action_id, NEW.organization_id, NEW.seq, NEW.row_no, NEW.status, NEW.action_type, NEW.platform,
          -- an action's opportunity and target are on its first row (seq 0): read the payload once per action
          CASE WHEN NEW.seq = 0 THEN coalesce(json_extract(NEW.payload, '$.action.target.campaign_id'),
                                              json_extract(NEW.payload, '$.snapshot.campaign.name')) END,
          CASE WHEN NEW.seq = 0 THEN json_extract(NEW.payload, '$.opportunity.title') END,
          CASE WHEN json_extract(NEW.result, '$.measurements[#-1].final')
                    AND coalesce(json_extract(NEW.result, '$.measurements[#-1].measurable'), 1)
               THEN json_extract(NEW.result, '$.measurements[#-1].verdict') END,
          NEW.event_time)
  ON CONFLICT (action_id) DO UPDATE SET
    seq = excluded.seq, row_no = excluded.row_no, status = excluded.status, action_type = excluded.action_type,
    platform = excluded.platform, campaign = coalesce(excluded.campaign, action_heads.campaign),
    title = coalesce(excluded.title, action_heads.title), verdict = excluded.verdict,
    event_time = excluded.event_time
  WHERE excluded.seq >= action_heads.seq;
END;

-- Who did what in the web console (stop, resume, rollback, decisions): one row per state-changing request.
CREATE TABLE IF NOT EXISTS console_audit (
  audit_no        INTEGER PRIMARY KEY AUTOINCREMENT,
  at              TEXT NOT NULL,
  person          TEXT NOT NULL,
  organization_id TEXT NOT NULL,     -- an organization id or 'global'
  what            TEXT NOT NULL,     -- e.g. stop, resume, rollback, approve, reject
  action_id       TEXT,
  detail          TEXT NOT NULL      -- JSON: reason, note, outcome
);
CREATE INDEX IF NOT EXISTS console_audit_org ON console_audit (organization_id, audit_no);
CREATE TRIGGER IF NOT EXISTS console_audit_no_update BEFORE UPDATE ON console_audit
BEGIN
  SELECT RAISE(ABORT, 'console_audit is append-only');
END;

-- The current state of every action: its latest row (highest seq). For people at the sqlite3 prompt;
-- the adapter runs the same window query with its filters pushed down.
CREATE VIEW IF NOT EXISTS actions_current AS
SELECT * FROM (
  SELECT l.*, ROW_NUMBER() OVER (PARTITION BY action_id ORDER BY seq DESC, row_no DESC) AS latest_rank
  FROM actions_log AS l
) WHERE latest_rank = 1;

-- ----------------------------------------------------------------------------- state store
CREATE TABLE IF NOT EXISTS organizations (
  organization_id TEXT PRIMARY KEY,
  policy          TEXT NOT NULL,   -- OrgPolicy JSON (credential references only, never secrets)
  updated_at      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS org_changes (  -- who changed an organization's configuration, and when
  change_no       INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id TEXT NOT NULL,
  changed_at      TEXT NOT NULL,
  change          TEXT NOT NULL,   -- OrgChange JSON
  FOREIGN KEY (organization_id) REFERENCES organizations (organization_id)
);
CREATE INDEX IF NOT EXISTS org_changes_by_org ON org_changes (organization_id, change_no);

CREATE TABLE IF NOT EXISTS notifications_sent (  -- the last message sent per org: an unchanged one is not re-sent
  organization_id TEXT PRIMARY KEY,
  digest          TEXT NOT NULL,
  sent_at         TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS kill_switches (
  scope   TEXT PRIMARY KEY,        -- 'global' or an organization id
  active  INTEGER NOT NULL,
  set_by  TEXT NOT NULL,
  set_at  TEXT NOT NULL,
  reason  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS claims (
  action_id   TEXT PRIMARY KEY,
  run_id      TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('held', 'released', 'done')),
  claimed_at  TEXT NOT NULL,
  lease_until TEXT NOT NULL,
  released_at TEXT
);

CREATE TABLE IF NOT EXISTS approvals (
  action_id       TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  plan_hash       TEXT NOT NULL,
  requested_at    TEXT NOT NULL,
  expires_at      TEXT NOT NULL,
  summary         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  decided_by      TEXT,
  decided_at      TEXT
);
CREATE INDEX IF NOT EXISTS approvals_pending ON approvals (status, organization_id, requested_at);

CREATE TABLE IF NOT EXISTS executions (
  organization_id TEXT NOT NULL,
  action_id       TEXT NOT NULL,
  at              TEXT NOT NULL,
  PRIMARY KEY (organization_id, action_id, at)
);

-- ----------------------------------------------------------------------------- opportunity source
CREATE TABLE IF NOT EXISTS opportunities (
  row_key         TEXT PRIMARY KEY,  -- the opportunity_id, or 'raw:<hash>' for rows without a usable id
  opportunity_id  TEXT,
  organization_id TEXT,
  status          TEXT,              -- NULL when the row has no readable status (still pulled: bad input)
  expires_at      TEXT,
  raw             TEXT NOT NULL,     -- exactly what was loaded
  raw_is_json     INTEGER NOT NULL,  -- 0: the line was not even JSON; it is handed back as text
  loaded_at       TEXT NOT NULL,
  load_order      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS opportunities_pull ON opportunities (status, organization_id);
-- A run pulls one organization's rows (and the rows naming none), and re-reads / marks one opportunity
-- per action: without these, each of those is a scan of the whole table.
CREATE INDEX IF NOT EXISTS opportunities_org ON opportunities (organization_id, load_order);
CREATE INDEX IF NOT EXISTS opportunities_id ON opportunities (opportunity_id);

-- ----------------------------------------------------------------------------- content artifacts
CREATE TABLE IF NOT EXISTS artifacts (
  artifact_id     TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  kind            TEXT NOT NULL,
  key             TEXT NOT NULL,
  title           TEXT NOT NULL,
  body            TEXT NOT NULL,
  data            TEXT NOT NULL,     -- JSON
  created_at      TEXT NOT NULL,
  archived_at     TEXT
);
CREATE INDEX IF NOT EXISTS artifacts_key ON artifacts (organization_id, key);

CREATE TABLE IF NOT EXISTS refresh_flags (
  organization_id TEXT NOT NULL,
  url             TEXT NOT NULL,
  flagged         INTEGER NOT NULL,
  reason          TEXT,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (organization_id, url)
);

-- ----------------------------------------------------------------------------- experiments
-- Subject-line tests (spec §8; the columns of the original marketing_ai.experiments plus action_id,
-- account_id, updated_at). Unlike the log, a row is updated as the experiment runs and is decided.
CREATE TABLE IF NOT EXISTS experiments (
  experiment_id        TEXT PRIMARY KEY,
  organization_id      TEXT NOT NULL,
  opportunity_id       TEXT,
  type                 TEXT NOT NULL,
  entity_id            TEXT NOT NULL,
  account_id           TEXT NOT NULL,
  action_id            TEXT NOT NULL,
  variants             TEXT NOT NULL,     -- JSON
  primary_metric       TEXT NOT NULL,
  started_at           TEXT NOT NULL,
  minimum_runtime_days INTEGER NOT NULL,
  stop_rules           TEXT NOT NULL,     -- JSON
  guardrails           TEXT NOT NULL,     -- JSON
  status               TEXT NOT NULL,
  winner               TEXT,
  results              TEXT NOT NULL,     -- JSON
  updated_at           TEXT
);
CREATE INDEX IF NOT EXISTS experiments_org_status ON experiments (organization_id, status);

-- ----------------------------------------------------------------------------- tracking holds
-- The tracking-break circuit breaker (issue 14): one row per org/platform/account, replaced as it changes.
CREATE TABLE IF NOT EXISTS tracking_holds (
  organization_id TEXT NOT NULL,
  platform        TEXT NOT NULL,
  account_id      TEXT NOT NULL,
  active          INTEGER NOT NULL,
  hold            TEXT NOT NULL,     -- JSON (schemas.impact.TrackingHold)
  PRIMARY KEY (organization_id, platform, account_id)
);

-- Changes made outside the Operator (Google Ads change_event, ...) as the runs saw them: each change once.
CREATE TABLE IF NOT EXISTS outside_changes (
  organization_id TEXT NOT NULL,
  entity_key      TEXT NOT NULL,
  resource_name   TEXT NOT NULL,
  changed_at      TEXT NOT NULL,     -- UTC ISO-8601
  actor           TEXT NOT NULL,
  change          TEXT NOT NULL,     -- JSON (schemas.changes.OutsideChange)
  seen_at         TEXT NOT NULL,     -- when a run first read it
  PRIMARY KEY (organization_id, entity_key, resource_name, changed_at, actor)
);
CREATE INDEX IF NOT EXISTS outside_changes_by_time ON outside_changes (organization_id, changed_at);

-- ----------------------------------------------------------------------------- sandbox platforms
-- Accounts and which organization owns each (the sandbox's allowlist).
CREATE TABLE IF NOT EXISTS sandbox_accounts (
  platform        TEXT NOT NULL,
  account_id      TEXT NOT NULL,
  organization_id TEXT NOT NULL,
  data            TEXT NOT NULL,     -- JSON: currency, min_daily_budget, base_url, ...
  PRIMARY KEY (platform, account_id)
);

-- Every entity of a sandbox account as JSON (campaign, budget, ad_group, keyword, negative, search_term,
-- email_campaign, message, automation, contact, contact_automation, page).
CREATE TABLE IF NOT EXISTS sandbox_entities (
  platform   TEXT NOT NULL,
  account_id TEXT NOT NULL,
  kind       TEXT NOT NULL,
  entity_id  TEXT NOT NULL,
  data       TEXT NOT NULL,
  PRIMARY KEY (platform, account_id, kind, entity_id)
);

-- Daily metrics per campaign/keyword: seeded from the fixture's window totals, extended day by day.
CREATE TABLE IF NOT EXISTS sandbox_metrics (
  platform         TEXT NOT NULL,
  account_id       TEXT NOT NULL,
  entity_kind      TEXT NOT NULL,    -- campaign | keyword
  entity_id        TEXT NOT NULL,
  day              TEXT NOT NULL,    -- YYYY-MM-DD (UTC)
  cost             TEXT NOT NULL,
  conversions      TEXT NOT NULL,
  conversion_value TEXT NOT NULL,
  clicks           INTEGER NOT NULL,
  impressions      INTEGER NOT NULL,
  PRIMARY KEY (platform, account_id, entity_kind, entity_id, day)
);

CREATE TABLE IF NOT EXISTS sandbox_counters (
  name  TEXT PRIMARY KEY,            -- id sequences for created resources (criteria, runs, messages)
  value INTEGER NOT NULL
);
