-- Scout opportunities (spec §1). Scout writes rows; `raw` is the exact JSON document (schema_version 1),
-- the other columns are extracted from it for filtering. A newer row for the same opportunity_id (by
-- updated_at) supersedes older ones, so Scout may append status changes instead of updating rows that are
-- still in the streaming buffer.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.opportunities` (
  opportunity_id STRING NOT NULL,
  organization_id STRING NOT NULL,
  status STRING NOT NULL,
  schema_version INT64,
  created_at TIMESTAMP,
  expires_at TIMESTAMP,
  approved_by STRING,
  approved_at TIMESTAMP,
  platform STRING,
  action_type STRING,
  confidence FLOAT64,
  title STRING,
  raw JSON NOT NULL,
  updated_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(updated_at)
CLUSTER BY organization_id, status
OPTIONS (description = 'Scout opportunities: raw JSON plus extracted columns; latest row per opportunity_id wins')
