// Every error code in the catalogue (contracts/errors.ts) is documented in docs/errors.md, as a
// heading or as a row of a table (docs/style.md §5: fastify keeps the same test for its FST_ERR_* codes).
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { ERRORS } from '../../contracts/index.ts';

const DOC = new URL('../../docs/errors.md', import.meta.url);

t.test('every error code is documented in docs/errors.md', async (t) => {
  t.ok(existsSync(DOC), 'docs/errors.md exists');
  if (!existsSync(DOC)) return;
  const lines = readFileSync(DOC, 'utf8').split('\n');
  for (const [code, definition] of Object.entries(ERRORS)) {
    const word = new RegExp(`(^|[^A-Z0-9_])${code}([^A-Z0-9_]|$)`);
    const heading = lines.find((l) => /^#{1,6}\s/.test(l) && word.test(l));
    const row = lines.find((l) => /^\s*\|/.test(l) && word.test(l));
    t.ok(heading ?? row, `${code} has a heading or a table row`);
    // A table row documents the HTTP status on the same line; a heading's section must mention it.
    if (!heading && row) t.match(row, new RegExp(`\\b${definition.status}\\b`), `${code}: its row gives HTTP ${definition.status}`);
  }
});
