-- The current state of every action: its latest row. seq orders the transitions of one action; event_time
-- breaks a tie. Duplicate rows of one event (a retried streaming insert) collapse here too.
CREATE OR REPLACE VIEW `${project}.${dataset}.actions_latest` AS
SELECT *
FROM `${project}.${dataset}.actions_log`
QUALIFY ROW_NUMBER() OVER (PARTITION BY action_id ORDER BY seq DESC, event_time DESC) = 1
