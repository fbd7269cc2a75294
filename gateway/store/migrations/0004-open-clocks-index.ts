// 4: GET /metrics counts the open SLA clocks by state and clock at every scrape
// (Store.countOpenClocks). Only unfinished clocks enter this index, and it holds every column the
// count reads (finished_at included: SQLite uses a partial index as a covering index only when the
// filtered column is in it), so the count reads this index alone. Measured with 100,000
// applications (700,000 clocks, 350,000 open): SQLite 30–40 ms against 1.0–1.9 s without it;
// PostgreSQL ~110 ms (index-only) against 220–350 ms.

import { sql } from 'kysely';
import type { Migration } from './index.ts';

export const openClocksIndex: Migration = {
  version: 4,
  name: 'open-clocks-index',
  async up(conn) {
    await sql.raw('CREATE INDEX sla_clocks_open ON sla_clocks (state, clock, finished_at) WHERE finished_at IS NULL').execute(conn);
  },
};
