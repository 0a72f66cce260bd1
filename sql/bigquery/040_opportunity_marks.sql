-- What the Operator recorded about an opportunity (e.g. actioned, expired). Kept apart from Scout's table so
-- the Operator never runs DML on rows that may still sit in the streaming buffer; the view
-- opportunities_current applies a mark when it is newer than Scout's latest row.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.opportunity_marks` (
  opportunity_id STRING NOT NULL,
  status STRING NOT NULL,
  marked_at TIMESTAMP NOT NULL,
  marked_by STRING NOT NULL
)
PARTITION BY DATE(marked_at)
CLUSTER BY opportunity_id
OPTIONS (description = 'Operator status marks on Scout opportunities (append-only)')
