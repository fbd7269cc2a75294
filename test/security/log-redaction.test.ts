// Personal data never reaches a log line whole: a field named idNumber or mobile is censored down
// to five levels into what is logged (docs/security.md "Logs"); credentials in request headers too.
// Through the real logger (createLogger), reading the JSON lines it writes.

import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { createLogger } from '../../gateway/logger.ts';

const CENSOR = '[redacted]';

const ID_NUMBER = '410102199003071234';
const MOBILE = '13800138000';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: 'info', destination });
  return { log, lines, text: () => text };
}

t.test('at the top level, nested in objects and arrays, down to five levels: censored; the rest as given', async (t) => {
  const { log, lines, text } = capture();
  const deep = { a: { b: { c: { mobile: MOBILE } } } };
  const logged = {
    applicationId: 'A1',
    idNumber: ID_NUMBER,
    applicant: { name: '张三', mobile: MOBILE },
    people: [{ role: 'legal', idNumber: ID_NUMBER }, 'text', 7, null],
    deep,
    count: 3,
  };
  const before = structuredClone(logged);
  log.info(logged, 'submitted');
  t.notOk(text().includes(MOBILE) || text().includes(ID_NUMBER), 'neither number appears anywhere in the output');
  t.match(lines[0], {
    msg: 'submitted',
    applicationId: 'A1',
    idNumber: CENSOR,
    applicant: { name: '张三', mobile: CENSOR },
    people: [{ role: 'legal', idNumber: CENSOR }, 'text', 7, null],
    deep: { a: { b: { c: { mobile: CENSOR } } } },
    count: 3,
  });
  t.same(logged, before, 'what the caller logged is left as it was (censoring copies, never writes)');
});

t.test('an error with personal data in its fields: censored, and still serialized as the error', async (t) => {
  const { log, lines, text } = capture();
  const error = Object.assign(new TypeError('department refused'), { details: { mobile: MOBILE }, code: 'X1' });
  log.error({ err: error }, 'call failed');
  t.notOk(text().includes(MOBILE));
  t.match(lines[0], { err: { type: 'TypeError', message: 'department refused', code: 'X1', details: { mobile: CENSOR } } });
  t.match((lines[0]!.err as { stack: string }).stack, /^TypeError: department refused\n\s+at /, 'the stack is kept');
  t.equal(error.details.mobile, MOBILE, 'the error itself is untouched');
});

t.test("a child logger's bindings are censored too", async (t) => {
  const { log, lines, text } = capture();
  const child = log.child({ applicant: { idNumber: ID_NUMBER }, step: 'bank-account' });
  child.info('bound');
  child.child({ mobile: MOBILE }).info('bound twice');
  t.notOk(text().includes(ID_NUMBER) || text().includes(MOBILE));
  t.match(lines[0], { applicant: { idNumber: CENSOR }, step: 'bank-account', msg: 'bound' });
  t.match(lines[1], { applicant: { idNumber: CENSOR }, mobile: CENSOR, msg: 'bound twice' }, "and a child's child's");
});

t.test('credentials in request headers are censored', async (t) => {
  const { log, lines, text } = capture();
  log.info({ req: { method: 'POST', headers: { authorization: 'Bearer secret-token', 'x-department-signature': 'sig-1', 'x-gateway-signature': 'sig-2', accept: 'application/json' } } }, 'request');
  for (const secret of ['secret-token', 'sig-1', 'sig-2']) t.notOk(text().includes(secret), `no ${secret}`);
  t.match(lines[0], { req: { headers: { authorization: CENSOR, 'x-department-signature': CENSOR, 'x-gateway-signature': CENSOR, accept: 'application/json' } } });
});

// Any JSON document with a number planted at a random place (within five levels of the line): it
// does not survive, and a document without one is logged as it is.
const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'idNumber' && k !== 'mobile' && k !== '__proto__');
const leaf = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));
const { doc } = fc.letrec((tie) => ({
  doc: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), tie('array')),
  object: fc.dictionary(key, tie('doc'), { maxKeys: 4 }),
  array: fc.array(tie('doc'), { maxLength: 4 }),
}));

/** `{ document }` with `personal: value` put into an object reached by following `path` (at most four steps down). */
function plant(document: unknown, path: number[], personal: 'idNumber' | 'mobile', value: string): Record<string, unknown> {
  const root: Record<string, unknown> = { document };
  let at: Record<string, unknown> = root;
  for (const choice of path) {
    const children = Object.values(at).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
    if (children.length === 0) break;
    at = children[choice % children.length]!;
  }
  at[personal] = value;
  return root;
}

t.test('property: a planted number never survives; a document without one is logged as it is', async (t) => {
  const { log, lines, text } = capture();
  fc.assert(
    fc.property(doc, fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom('idNumber' as const, 'mobile' as const), (document, path, personal) => {
      lines.length = 0;
      log.info({ document }, 'plain');
      if (!isDeepStrictEqual(lines[0]!.document, JSON.parse(JSON.stringify(document)))) return false;
      const secret = personal === 'mobile' ? MOBILE : ID_NUMBER;
      const before = text().length;
      log.info(plant(structuredClone(document), path, personal, secret), 'planted');
      return !text().slice(before).includes(secret);
    }),
    { numRuns: 1_000 },
  );
  t.pass('1,000 documents');
});
