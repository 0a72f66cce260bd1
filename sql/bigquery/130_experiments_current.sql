-- The current state of every experiment: its latest row.
CREATE OR REPLACE VIEW `${project}.${dataset}.experiments_current` AS
SELECT *
FROM `${project}.${dataset}.experiments`
QUALIFY ROW_NUMBER() OVER (PARTITION BY experiment_id ORDER BY written_at DESC, updated_at DESC) = 1
