-- Subject-line tests (spec §8). Appendix A's columns unchanged, then what the implementation needs:
-- account_id and action_id (the email account and the action that created the test), updated_at (the
-- experiment's own clock) and written_at. An experiment changes as it runs (running -> decided | stopped |
-- cancelled) but streamed rows cannot be updated, so every change is a new row; experiments_current holds
-- the latest row per experiment_id (and this table the history of its results).
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.experiments` (
  experiment_id STRING NOT NULL,
  organization_id STRING NOT NULL,
  opportunity_id STRING,
  type STRING NOT NULL,
  entity_id STRING NOT NULL,
  variants JSON NOT NULL,
  primary_metric STRING NOT NULL,
  started_at TIMESTAMP,
  minimum_runtime_days INT64,
  stop_rules JSON,
  guardrails JSON,
  status STRING,
  winner STRING,
  results JSON,
  account_id STRING,
  action_id STRING,
  updated_at TIMESTAMP,
  written_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(written_at)
CLUSTER BY organization_id, experiment_id
OPTIONS (description = 'Operator experiments (subject-line tests): one row per change; latest row per experiment_id wins')
