// Free text and identifiers as people type them (contracts/text.ts): invisible and control
// characters are refused in every free-text field of the form (found by walking the schema, so a
// new field is covered), text is NFC-normalised with its spaces unified, and identifiers typed in
// full width are stored in their canonical half-width form.
import t from 'tap';
import {
  ApplicationCorrection,
  SANMENXIA_DIVISIONS,
  applicationFormFor,
  forbiddenCharacter,
  formFields,
  issuesToDetails,
  normalizeIdentifier,
  normalizeMobile,
  normalizeText,
} from '../../contracts/index.ts';
import { FIXTURE_IDS, companyShareholder, makeApplication } from '../fixtures/application.ts';

const form = applicationFormFor(SANMENXIA_DIVISIONS, { today: () => '2026-11-30' });

/** Every character class the rules refuse, with an example of each. */
const FORBIDDEN = {
  'NUL-adjacent control (U+0001)': '\u0001',
  'escape (U+001B)': '\u001b',
  'delete (U+007F)': '\u007f',
  'C1 control (U+0085)': '\u0085',
  'left-to-right embedding (U+202A)': '\u202a',
  'right-to-left override (U+202E)': '\u202e',
  'left-to-right isolate (U+2066)': '\u2066',
  'pop directional isolate (U+2069)': '\u2069',
  'zero-width space (U+200B)': '\u200b',
  'zero-width non-joiner (U+200C)': '\u200c',
  'zero-width joiner (U+200D)': '\u200d',
  'word joiner (U+2060)': '\u2060',
  'byte order mark (U+FEFF)': '\ufeff',
  'soft hyphen (U+00AD)': '\u00ad',
  'Hangul filler (U+3164)': '\u3164',
  'variation selector (U+FE0F)': '\ufe0f',
  'tag character (U+E0041)': '\u{e0041}',
  'private use (U+E000)': '\ue000',
  'noncharacter (U+FFFE)': '\ufffe',
  'line separator (U+2028)': '\u2028',
  'paragraph separator (U+2029)': '\u2029',
  'braille blank (U+2800)': '\u2800',
  'lone surrogate (U+D83D)': '\ud83d',
} as const;

type Json = Record<string, unknown>;

/** The free-text fields of the form (single and multi-line), from the schema. */
const textFields = formFields(form).filter((f) => f.type === 'text' && f.maxLength !== undefined && f.maxLength >= 50);

/** A valid value for a text field, with `inject` placed inside it. */
function documentWith(path: string, when: { path: string; equals: string } | undefined, value: (current: string) => string): Json {
  const base = makeApplication(
    when?.equals === 'company' ? { shareholders: [makeApplication().shareholders[0]!, companyShareholder()] } : when?.equals === 'pickup' ? { delivery: { method: 'pickup', hall: '三门峡市政务服务中心' } } : {},
  ) as Json;
  const segments = path.split('.');
  let node: Json = base;
  for (const segment of segments.slice(0, -1)) {
    if (segment.endsWith('[]')) {
      const list = node[segment.slice(0, -2)] as Json[];
      node = when?.path.startsWith(segment) ? list.find((item) => item[when.path.split('.').at(-1)!] === when.equals)! : list[0]!;
    } else {
      node = node[segment] as Json;
    }
  }
  const key = segments.at(-1)!;
  node[key] = value(String(node[key]));
  return base;
}

t.test('the free-text fields are found in the schema', async (t) => {
  const paths = textFields.map((f) => f.path).sort();
  for (const expected of ['companyName', 'address.detail', 'businessScope', 'legalRepresentative.name', 'shareholders[].name', 'bank.branch', 'delivery.hall', 'delivery.recipient', 'delivery.address.detail']) {
    t.ok(paths.includes(expected), expected);
  }
  t.ok(textFields.find((f) => f.path === 'businessScope')?.multiline, 'the business scope is multi-line');
  t.notOk(textFields.find((f) => f.path === 'companyName')?.multiline, 'the company name is one line');
});

t.test('every invisible or control character is refused in every free-text field, naming it', async (t) => {
  for (const field of textFields) {
    for (const [name, ch] of Object.entries(FORBIDDEN)) {
      const input = documentWith(field.path, field.when, (current) => `${current.slice(0, 1)}${ch}${current.slice(1)}`);
      const parsed = form.safeParse(input, { reportInput: true });
      const details = parsed.success ? [] : issuesToDetails(parsed.error.issues);
      const detail = details.find((d) => d.code === 'text.invisible_character');
      if (!detail || !/position 2/.test(detail.message)) t.fail(`${field.path} with ${name}: ${JSON.stringify(details)}`);
    }
  }
  t.pass(`${textFields.length} fields × ${Object.keys(FORBIDDEN).length} characters refused`);
});

t.test('line breaks: refused in one-line fields, kept (as LF) in multi-line ones', async (t) => {
  for (const field of textFields) {
    const input = documentWith(field.path, field.when, (current) => `${current}\r\n${current}`);
    const parsed = form.safeParse(input, { reportInput: true });
    if (field.multiline) {
      t.ok(parsed.success, `${field.path} takes a line break`);
      if (parsed.success) t.match(JSON.stringify(parsed.data), /\\n/, 'stored as LF');
      if (parsed.success) t.notMatch(JSON.stringify(parsed.data), /\\r/, 'without CR');
    } else {
      const codes = parsed.success ? [] : issuesToDetails(parsed.error.issues).map((d) => d.code);
      t.same(codes, ['text.line_break'], `${field.path} refuses a line break`);
    }
  }
  const note = ApplicationCorrection.safeParse({ fields: { companyName: '三门峡新名称科技有限公司' }, note: '第一行\n第二行' });
  t.ok(note.success, 'a correction note may have several lines');
});

t.test('text is normalised: NFC, one kind of space, trimmed', async (t) => {
  t.equal(normalizeText('Cafe\u0301'), 'Café', 'combining accent composed (NFC)');
  t.equal(normalizeText('三门峡\u3000黄河   路'), '三门峡 黄河 路', 'ideographic and repeated spaces');
  t.equal(normalizeText('\u00a0 湖滨区 \u2003'), '湖滨区', 'no-break and em spaces trimmed');
  t.equal(normalizeText('a\r\nb\rc', { multiline: true }), 'a\nb\nc');
  const parsed = form.parse(makeApplication({ companyName: '  三门峡\u3000黄河示范科技有限公司 ', legalRepresentative: { name: '阿卜杜拉•买买提' } }));
  t.equal(parsed.companyName, '三门峡 黄河示范科技有限公司');
  t.equal(parsed.legalRepresentative.name, '阿卜杜拉·买买提', 'middle-dot look-alikes become U+00B7');
  t.same(forbiddenCharacter('ok 文字 ok'), null);
  t.same(forbiddenCharacter('a\u200bb'), { codePoint: 'U+200B', position: 2, lineBreak: false });
  t.same(forbiddenCharacter('😀\u202e'), { codePoint: 'U+202E', position: 2, lineBreak: false }, 'positions count characters, not UTF-16 units');
  t.ok(form.safeParse(makeApplication({ legalRepresentative: { name: 'Anne-Marie O’Neil' } })).success, 'Latin names with hyphen and apostrophe');
  t.ok(form.safeParse(makeApplication({ legalRepresentative: { name: '𠀀𠀁' } })).success, 'CJK Extension B characters (rare name characters)');
});

t.test('identifiers typed in full width, with spaces, hyphens, lower case or +86 are stored canonical', async (t) => {
  t.equal(normalizeIdentifier('４１１２０２ １９８５ ０６１２ ３０１４'), '411202198506123014');
  t.equal(normalizeIdentifier('41120319900305402ｘ'), '41120319900305402X');
  t.equal(normalizeMobile('+86 138-3880-0001'), '13838800001');
  t.equal(normalizeMobile('0086１３８３８８００００１'), '13838800001');
  t.equal(normalizeMobile('+8613838800001x'), '+8613838800001X', 'only a well-formed prefix is removed');
  const parsed = form.parse(
    makeApplication({
      legalRepresentative: { idNumber: '４１１２０２１９８５０６１２３０１４', mobile: '１３８ ３８８０ ０００１' },
      shareholders: [makeApplication().shareholders[0]!, companyShareholder({ creditCode: FIXTURE_IDS.companyShareholder.toLowerCase() })],
      address: { divisionCode: '４１１２０２' },
      delivery: { postcode: '４７２０００' },
      socialInsurance: { startMonth: '２０２６－０２' },
    }),
  );
  t.equal(parsed.legalRepresentative.idNumber, FIXTURE_IDS.legalRepresentative);
  t.equal(parsed.legalRepresentative.mobile, '13838800001');
  t.equal((parsed.shareholders[1] as { creditCode: string }).creditCode, FIXTURE_IDS.companyShareholder);
  t.equal(parsed.address.divisionCode, '411202');
  t.equal((parsed.delivery as { postcode: string }).postcode, '472000');
  t.equal(parsed.socialInsurance.startMonth, '2026-02');
  const hidden = form.safeParse(makeApplication({ legalRepresentative: { idNumber: `\u200b${FIXTURE_IDS.legalRepresentative}` } }), { reportInput: true });
  t.same(hidden.success ? [] : issuesToDetails(hidden.error.issues).map((d) => d.code), ['text.invisible_character'], 'an identifier hiding a character is refused, not silently cleaned');
});
