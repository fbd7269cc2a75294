// Writes the Grafana dashboard from its source, monitoring/grafana/dashboard.ts.
//
//   npm run dashboard            # write monitoring/grafana/dashboards/quanliantong.json
//   npm run dashboard -- --check # exit 1 if the committed file differs (npm test checks this too)

import { readFileSync, writeFileSync } from 'node:fs';
import { dashboardFileText } from '../monitoring/grafana/dashboard.ts';

const file = new URL('../monitoring/grafana/dashboards/quanliantong.json', import.meta.url);
const text = dashboardFileText();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing: differs
  }
  if (committed !== text) {
    console.error('monitoring/grafana/dashboards/quanliantong.json is out of date: run npm run dashboard');
    process.exit(1);
  }
  console.log('the dashboard file is up to date');
} else {
  writeFileSync(file, text);
  console.log(`wrote monitoring/grafana/dashboards/quanliantong.json (${text.length} bytes)`);
}
