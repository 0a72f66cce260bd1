-- One row per opportunity: Scout's latest row, with the status replaced by the Operator's latest mark when
-- that mark is newer.
CREATE OR REPLACE VIEW `${project}.${dataset}.opportunities_current` AS
WITH latest AS (
  SELECT *
  FROM `${project}.${dataset}.opportunities`
  QUALIFY ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY updated_at DESC) = 1
),
marks AS (
  SELECT opportunity_id, status, marked_at
  FROM `${project}.${dataset}.opportunity_marks`
  QUALIFY ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY marked_at DESC) = 1
)
SELECT
  latest.opportunity_id,
  latest.organization_id,
  IF(marks.marked_at IS NOT NULL AND marks.marked_at > latest.updated_at, marks.status, latest.status) AS status,
  latest.schema_version,
  latest.created_at,
  latest.expires_at,
  latest.approved_by,
  latest.approved_at,
  latest.platform,
  latest.action_type,
  latest.confidence,
  latest.title,
  latest.raw,
  GREATEST(latest.updated_at, IFNULL(marks.marked_at, latest.updated_at)) AS updated_at
FROM latest
LEFT JOIN marks USING (opportunity_id)
