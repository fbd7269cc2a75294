// The body hash behind Idempotency-Key: key order does not matter, the text is the same as the
// recursive version it replaced (hashes stored before the change still match a retry), and it is
// depth-checked before JSON.stringify (which recurses) ever sees a document.
import t from 'tap';
import { MAX_JSON_DEPTH } from '../../contracts/index.ts';
import { canonicalJson } from '../../gateway/routes/applications.ts';
import { makeApplicationForm } from '../fixtures/application.ts';

/** The previous, recursive implementation, kept here as the reference. */
function recursiveCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(recursiveCanonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${recursiveCanonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

t.test('canonical JSON: sorted keys, same text as before, depth-checked', async (t) => {
  const form = makeApplicationForm();
  t.equal(canonicalJson(form), recursiveCanonicalJson(form), 'the same text as the recursive version');
  const reordered = Object.fromEntries(Object.entries(form).reverse());
  t.equal(canonicalJson(reordered), canonicalJson(form), 'key order does not matter');
  t.equal(canonicalJson({ b: [{ d: 1, c: undefined, a: '文' }], a: null }), '{"a":null,"b":[{"a":"文","d":1}]}');
  let deep: unknown = 1;
  for (let i = 0; i < 5_000; i++) deep = [deep];
  t.throws(() => canonicalJson(deep), RangeError, 'a document deeper than any contract is refused, not overflowed');
  let limit: unknown = 1;
  for (let i = 0; i < MAX_JSON_DEPTH - 1; i++) limit = [limit];
  t.doesNotThrow(() => canonicalJson(limit), 'documents within the bound are fine');
});
