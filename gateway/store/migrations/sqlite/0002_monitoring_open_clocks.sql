-- Monitoring: GET /metrics counts the open SLA clocks by state and clock at every scrape
-- (Store.countOpenClocks). Only unfinished clocks enter this index, and it holds every column the
-- count reads (finished_at included: SQLite uses a partial index as a covering index only when the
-- filtered column is in it), so the count reads this index alone. Measured with 100,000
-- applications (700,000 clocks, 350,000 open): 30–40 ms, against 1.0–1.9 s through
-- sla_clocks_state, which must visit every row to read finished_at. Same definition as PostgreSQL's.
CREATE INDEX sla_clocks_open ON sla_clocks (state, clock, finished_at) WHERE finished_at IS NULL;
