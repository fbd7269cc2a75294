// The pages' bundled files at /assets/<name>: every registered entry is served, minified, compressed
// for a browser that accepts it, revalidated by ETag; nothing else can be reached through the route.

import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { request } from 'undici';
import { WEB_ENTRIES } from '../../gateway/web/bundle.ts';
import { startHarness } from '../support/harness.ts';

t.test('every entry is served, compressed when asked, and revalidated by ETag', async (t) => {
  const h = await startHarness(t);
  for (const entry of WEB_ENTRIES) {
    const plain = await request(`${h.url}/assets/${entry.name}`);
    const body = Buffer.from(await plain.body.arrayBuffer());
    t.equal(plain.statusCode, 200, `${entry.name}: 200`);
    t.match(String(plain.headers['content-type']), entry.name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/, `${entry.name}: its type`);
    t.equal(plain.headers['content-encoding'], undefined, `${entry.name}: not compressed unless asked`);
    // Minified: a few long lines. (Not "no indented line": zod builds its fast parsers from template
    // strings, whose indentation is part of a string, not of the code.)
    const text = body.toString('utf8');
    t.ok(text.length / text.split('\n').length > 400, `${entry.name}: minified (long lines)`);
    t.notMatch(text, /^\s*\/\/ /m, `${entry.name}: minified (no comments)`);

    if (body.length >= 1024) {
      const br = await request(`${h.url}/assets/${entry.name}`, { headers: { 'accept-encoding': 'br, gzip' } });
      t.equal(br.headers['content-encoding'], 'br', `${entry.name}: brotli when accepted`);
      t.same(brotliDecompressSync(Buffer.from(await br.body.arrayBuffer())), body, `${entry.name}: the same bytes`);
      const gzip = await request(`${h.url}/assets/${entry.name}`, { headers: { 'accept-encoding': 'gzip' } });
      t.equal(gzip.headers['content-encoding'], 'gzip', `${entry.name}: gzip when that is all`);
      t.same(gunzipSync(Buffer.from(await gzip.body.arrayBuffer())), body, `${entry.name}: the same bytes`);
    }

    const etag = String(plain.headers.etag);
    const again = await request(`${h.url}/assets/${entry.name}`, { headers: { 'if-none-match': etag } });
    await again.body.dump();
    t.equal(again.statusCode, 304, `${entry.name}: 304 when unchanged`);
  }
  const api = await request(`${h.url}/health`, { headers: { 'accept-encoding': 'br, gzip' } });
  await api.body.dump();
  t.equal(api.headers['content-encoding'], undefined, 'API answers are left alone (event streams must not be buffered by a compressor)');
});

t.test('only the registered files: no path, no source, no other file', async (t) => {
  const h = await startHarness(t);
  for (const path of ['/assets/nope.js', '/assets/..%2Fpackage.json', '/assets/bundle.ts', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', `/assets/${'a'.repeat(65)}`]) {
    const reply = await h.http('GET', path);
    t.ok(reply.status === 404 || reply.status === 400, `${path}: ${reply.status}`);
    t.notMatch(reply.text, /"dependencies"/, `${path}: no file content`);
  }
});
