-- The append-only actions log (spec §5, appendix A). Every transition of an action is a new row; the
-- current state of an action is its latest row (view actions_latest). Appendix A columns first, unchanged,
-- then what the implementation needs: event_time, seq, event_id (the streaming insert id), run_id,
-- verdict / checks (why it did or did not act) and plan_hash (what a person approved).
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.actions_log` (
  action_id STRING NOT NULL,
  opportunity_id STRING,
  organization_id STRING NOT NULL,
  action_type STRING NOT NULL,
  platform STRING NOT NULL,
  payload JSON NOT NULL,
  executed_at TIMESTAMP,
  executed_by STRING,
  status STRING NOT NULL,
  result JSON,
  error_message STRING,
  rollback_plan JSON,
  rolled_back_at TIMESTAMP,
  measurement_checkpoints ARRAY<TIMESTAMP>,
  event_time TIMESTAMP NOT NULL,
  seq INT64 NOT NULL,
  event_id STRING NOT NULL,
  run_id STRING NOT NULL,
  verdict JSON,
  checks JSON,
  plan_hash STRING
)
PARTITION BY DATE(event_time)
CLUSTER BY organization_id, action_id
OPTIONS (description = 'Operator actions log: append-only, one row per transition; latest row per action_id is its state')
