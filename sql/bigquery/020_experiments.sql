-- Subject-line tests and other experiments (spec §8, appendix A columns unchanged).
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
  results JSON
)
CLUSTER BY organization_id
OPTIONS (description = 'Operator experiments (subject-line tests)')
