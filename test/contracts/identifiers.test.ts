// Identifier check functions (contracts/identifiers.ts) against real published codes, the
// standards' own examples, and every single-character corruption of them.
import t from 'tap';
import {
  CREDIT_CODE_ALPHABET,
  SANMENXIA_DIVISIONS,
  applicationFormFor,
  creditCodeCheckChar,
  isAtLeastYearsOld,
  issuesToDetails,
  latestBirthDateForAge,
  residentIdBirthDate,
  creditCodeProblem,
  isValidCreditCode,
  isValidResidentId,
  isValidS10TrackingNumber,
  maskIdentifier,
  orgCodeCheckChar,
  residentIdCheckChar,
  residentIdProblem,
  s10CheckDigit,
  type CreditCodeProblem,
} from '../../contracts/index.ts';
import { FIXTURE_IDS, makeApplication, personShareholder } from '../fixtures/application.ts';

/**
 * Unified Social Credit Codes of large listed / state-owned companies, as published on their
 * licences and annual reports. Each was checked to pass both GB 11714 and GB 32100 before being
 * listed here; codes that could not be confirmed were left out. Three have the GB 11714 check
 * character X (腾讯, 招商银行, 中兴通讯).
 */
const REAL_CREDIT_CODES: Readonly<Record<string, string>> = {
  华为技术有限公司: '914403001922038216',
  '腾讯科技（深圳）有限公司': '9144030071526726XG',
  '阿里巴巴（中国）有限公司': '91330100716105852F',
  中国石油化工股份有限公司: '91110000710926094P',
  中国石油天然气股份有限公司: '91110000710925462X',
  中国工商银行股份有限公司: '91100000100003962T',
  中国建设银行股份有限公司: '911100001000044477',
  中国农业银行股份有限公司: '911100001000054748',
  中国银行股份有限公司: '911000001000013428',
  招商银行股份有限公司: '9144030010001686XA',
  中国移动通信集团有限公司: '911100007109250324',
  中国人寿保险股份有限公司: '91110000710932515R',
  '中国平安保险（集团）股份有限公司': '91440300100012316L',
  比亚迪股份有限公司: '91440300192317458F',
  万科企业股份有限公司: '91440300192181490G',
  中兴通讯股份有限公司: '9144030027939873X7',
  小米科技有限责任公司: '91110108551385082Q',
  美的集团股份有限公司: '91440606722473344C',
  宁德时代新能源科技股份有限公司: '91350900587527783P',
};

const FORBIDDEN_LETTERS = ['I', 'O', 'Z', 'S', 'V'];

t.test('real published credit codes are valid', async (t) => {
  for (const [company, code] of Object.entries(REAL_CREDIT_CODES)) {
    t.equal(creditCodeProblem(code), undefined, `${company} ${code}`);
    t.ok(isValidCreditCode(code));
    t.equal(creditCodeCheckChar(code.slice(0, 17)), code[17], `${company}: GB 32100 check character`);
    t.equal(orgCodeCheckChar(code.slice(8, 16)), code[16], `${company}: GB 11714 check character`);
  }
});

t.test('GB 11714 organisation-code check: 10 → X, 11 → 0', async (t) => {
  t.equal(orgCodeCheckChar('71526726'), 'X', '腾讯 71526726-X');
  t.equal(orgCodeCheckChar('10000396'), '2', '工商银行 10000396-2');
  t.equal(orgCodeCheckChar('17400051'), '0', 'Σ mod 11 = 0 gives 0, not 11');
  t.equal(orgCodeCheckChar('MA45R7K2'), '9', 'letters count A=10 … Z=35');
  for (const bad of ['1234567', '123456789', 'ma45r7k2', '1234-678', '']) t.equal(orgCodeCheckChar(bad), undefined, `"${bad}" is not a body`);
});

t.test('creditCodeCheckChar refuses malformed bodies', async (t) => {
  t.equal(creditCodeCheckChar('91440300192203821'), '6');
  t.equal(creditCodeCheckChar('9144030019220382'), undefined, '16 characters');
  t.equal(creditCodeCheckChar('914403001922038216'), undefined, '18 characters');
  t.equal(creditCodeCheckChar('9144030019220382I'), undefined, 'I is not in the alphabet');
  t.equal(creditCodeCheckChar('9144030019220382a'), undefined, 'lower case');
});

/** The problems a substitution at 1-based `position` may legitimately be reported as. */
function expectedProblems(position: number, replacement: string): CreditCodeProblem[] {
  if (position === 1 && !/[1-9ANY]/.test(replacement)) return ['registration_authority'];
  if (position >= 3 && position <= 8 && !/\d/.test(replacement)) return ['division_code'];
  if (position >= 9 && position <= 17) return ['organisation_code_check', 'check_character'];
  return ['check_character'];
}

t.test('every single-character substitution of a real code is caught', async (t) => {
  const missed: string[] = [];
  let tried = 0;
  for (const code of Object.values(REAL_CREDIT_CODES)) {
    for (let i = 0; i < 18; i++) {
      for (const ch of CREDIT_CODE_ALPHABET) {
        if (ch === code[i]) continue;
        const corrupted = code.slice(0, i) + ch + code.slice(i + 1);
        const problem = creditCodeProblem(corrupted);
        tried++;
        if (problem === undefined || !expectedProblems(i + 1, ch).includes(problem) || isValidCreditCode(corrupted)) {
          missed.push(`${corrupted} (position ${i + 1}) → ${problem ?? 'valid'}`);
        }
      }
    }
  }
  t.equal(tried, Object.keys(REAL_CREDIT_CODES).length * 18 * 30);
  t.same(missed, [], 'no corruption passes or is misreported');
});

t.test('every adjacent transposition within the body is caught by GB 32100', async (t) => {
  // Consecutive weights differ mod 31 (a prime), so swapping two different characters always changes Σ mod 31.
  const missed: string[] = [];
  for (const code of Object.values(REAL_CREDIT_CODES)) {
    for (let i = 0; i < 16; i++) {
      if (code[i] === code[i + 1]) continue;
      const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
      if (isValidCreditCode(swapped)) missed.push(swapped);
    }
  }
  t.same(missed, []);
});

t.test('forbidden letters I, O, Z, S, V and lower case are an alphabet problem', async (t) => {
  const code = REAL_CREDIT_CODES['腾讯科技（深圳）有限公司']!;
  for (const letter of FORBIDDEN_LETTERS) {
    for (const i of [0, 1, 5, 10, 17]) {
      const corrupted = code.slice(0, i) + letter + code.slice(i + 1);
      t.equal(creditCodeProblem(corrupted), 'alphabet', `${letter} at position ${i + 1}`);
    }
  }
  t.equal(creditCodeProblem(code.toLowerCase()), 'alphabet', 'lower case');
  t.equal(creditCodeProblem(code.slice(0, 17) + 'g'), 'alphabet');
  t.equal(creditCodeProblem('9144030071526726X '), 'alphabet', 'trailing space counts as a character');
});

t.test('wrong length', async (t) => {
  const code = REAL_CREDIT_CODES['华为技术有限公司']!;
  t.equal(creditCodeProblem(''), 'length');
  t.equal(creditCodeProblem(code.slice(0, 17)), 'length');
  t.equal(creditCodeProblem(code + '0'), 'length');
  t.equal(creditCodeProblem(code.slice(1)), 'length', 'a dropped character');
  t.equal(creditCodeProblem(`${code.slice(0, 9)}-${code.slice(9)}`), 'length', 'a separator typed in');
});

/** Builds a code whose GB 32100 check is right, so that only the part under test is wrong. */
function withCheck(body17: string): string {
  return body17 + creditCodeCheckChar(body17)!;
}

t.test('each problem is reported on its own', async (t) => {
  t.equal(creditCodeProblem(withCheck('01411202MA45R7K29')), 'registration_authority', '0 is no registration authority');
  t.equal(creditCodeProblem(withCheck('B1411202MA45R7K29')), 'registration_authority', 'B is no registration authority');
  for (const authority of ['1', '5', '9', 'A', 'N', 'Y']) {
    t.equal(creditCodeProblem(withCheck(`${authority}1411202MA45R7K29`)), undefined, `authority ${authority} is valid`);
  }
  t.equal(creditCodeProblem(withCheck('9141120AMA45R7K29')), 'division_code', 'a letter among positions 3–8');
  t.equal(creditCodeProblem(withCheck('91411202MA45R7K28')), 'organisation_code_check', 'GB 32100 right, GB 11714 wrong');
  t.equal(creditCodeProblem('91411202MA45R7K290'), 'check_character');
  t.equal(creditCodeProblem(withCheck('91411202MA45R7K29')), undefined);
});

// ── resident identity numbers (GB 11643-1999) ─────────────────────────────────────────────

/** 11010519491231002X is the worked example printed in GB 11643-1999. */
const VALID_IDS = ['11010519491231002X', '411202198506123014', '41120319900305402X', '411282197809231538', residentIdWith('41122420000229001')];

function residentIdWith(body17: string): string {
  return body17 + residentIdCheckChar(body17)!;
}

t.test('valid resident identity numbers', async (t) => {
  for (const id of VALID_IDS) {
    t.equal(residentIdProblem(id), undefined, id);
    t.ok(isValidResidentId(id));
  }
  t.equal(residentIdCheckChar('11010519491231002'), 'X', 'Σ mod 11 = 2 gives X');
  t.equal(residentIdCheckChar('1101051949123100'), undefined);
  t.equal(residentIdCheckChar('1101051949123100A'), undefined);
});

t.test('a wrong check character is caught, whatever it is', async (t) => {
  for (const id of VALID_IDS) {
    for (const ch of '0123456789X') {
      if (ch === id[17]) continue;
      t.equal(residentIdProblem(id.slice(0, 17) + ch), 'check_character', `${id.slice(0, 17)}${ch}`);
    }
  }
});

t.test('a single wrong digit outside the birth date is caught', async (t) => {
  const id = '411202198506123014';
  for (const i of [0, 1, 2, 3, 4, 5, 14, 15, 16]) {
    for (const d of '0123456789') {
      if (d === id[i]) continue;
      t.equal(residentIdProblem(id.slice(0, i) + d + id.slice(i + 1)), 'check_character', `position ${i + 1} → ${d}`);
    }
  }
});

t.test('impossible birth dates are caught even with a right check character', async (t) => {
  for (const date of ['19990230', '20230229', '19000229', '19851301', '19850000', '19850631', '19850100', '18991231', '00000000']) {
    const id = residentIdWith(`411202${date}123`);
    t.equal(residentIdProblem(id), 'birth_date', date);
  }
  t.equal(residentIdProblem(residentIdWith('41120220000229123')), undefined, '2000-02-29 exists (leap year)');
  t.equal(residentIdProblem(residentIdWith('41120219000101123')), undefined, '1900-01-01 is the earliest accepted');
});

t.test('birth dates after today are refused when today is known; 9999-12-31 among them', async (t) => {
  const today = '2026-11-30';
  t.equal(residentIdProblem(residentIdWith('41120299991231123'), { today }), 'birth_date_future', '9999-12-31');
  t.equal(residentIdProblem(residentIdWith('41120220261201123'), { today }), 'birth_date_future', 'tomorrow');
  t.equal(residentIdProblem(residentIdWith('41120220261130123'), { today }), undefined, 'born today exists');
  t.equal(residentIdProblem(residentIdWith('41120299991231123')), undefined, 'without today the contract cannot know (contracts read no clock)');
  t.equal(residentIdBirthDate(FIXTURE_IDS.legalRepresentative), '1985-06-12');
  t.equal(residentIdBirthDate(residentIdWith('41120219990230123')), undefined);
});

t.test('an age counts by calendar date; 29 February birthdays come of age on 1 March in common years', async (t) => {
  t.equal(latestBirthDateForAge('2026-11-30', 18), '2008-11-30');
  t.ok(isAtLeastYearsOld('2008-11-30', '2026-11-30', 18), '18 on the birthday itself');
  t.notOk(isAtLeastYearsOld('2008-12-01', '2026-11-30', 18), 'not a day early');
  t.notOk(isAtLeastYearsOld('2008-02-29', '2026-02-28', 18), 'born 29 Feb: not yet on 28 Feb of a common year');
  t.ok(isAtLeastYearsOld('2008-02-29', '2026-03-01', 18), 'born 29 Feb: 18 on 1 March');
  t.ok(isAtLeastYearsOld('2010-02-28', '2028-02-29', 18), 'today 29 Feb, born 28 Feb 18 years before');
  t.notOk(isAtLeastYearsOld('2010-03-01', '2028-02-29', 18));
});

t.test('the form refuses a legal representative under 18 and future birth dates, on the clock it is given', async (t) => {
  const person = (body: string) => residentIdWith(body);
  const at = (today: string) => applicationFormFor(SANMENXIA_DIVISIONS, { today: () => today });
  const codes = (today: string, overrides: Parameters<typeof makeApplication>[0]) => {
    const parsed = at(today).safeParse(makeApplication(overrides));
    return parsed.success ? [] : issuesToDetails(parsed.error.issues).map((d) => `${d.path} ${d.code}`);
  };
  const seventeen = person('41120220081201123');
  t.same(codes('2026-11-30', { legalRepresentative: { idNumber: seventeen } }), ['legalRepresentative.idNumber legal_representative.under_18']);
  t.same(codes('2026-12-01', { legalRepresentative: { idNumber: seventeen } }), [], 'the same person on their 18th birthday');
  t.same(codes('2026-11-30', { legalRepresentative: { idNumber: person('41120299991231123') } }), ['legalRepresentative.idNumber resident_id.birth_date_future']);
  const minorShareholder = personShareholder();
  t.same(
    codes('2026-11-30', { shareholders: [makeApplication().shareholders[0]!, { ...minorShareholder, idNumber: person('41120220200101123') }] }),
    [],
    'a minor may be a shareholder (through a guardian); only the legal representative must be an adult',
  );
  t.same(
    codes('2026-11-30', { shareholders: [makeApplication().shareholders[0]!, { ...minorShareholder, idNumber: person('41120230000101123') }] }),
    ['shareholders.1.idNumber resident_id.birth_date_future'],
  );
  const message = at('2026-11-30').safeParse(makeApplication({ legalRepresentative: { idNumber: seventeen } }));
  t.match(message.success ? '' : issuesToDetails(message.error.issues, [], 'zh')[0]!.message, /年满 18 周岁.*2008-11-30/);
});

t.test('malformed resident identity numbers are a format problem', async (t) => {
  for (const bad of ['', '41120219850612301', '4112021985061230145', '11010519491231002x', '41120219850612301A', '4112021985O6123014', ' 411202198506123014']) {
    t.equal(residentIdProblem(bad), 'format', JSON.stringify(bad));
    t.notOk(isValidResidentId(bad));
  }
});

// ── UPU S10 item identifiers ───────────────────────────────────────────────────────────────

t.test('UPU S10 check digit', async (t) => {
  t.equal(s10CheckDigit('12345678'), 5, 'the S10 worked example: 12345678 → 5');
  t.equal(s10CheckDigit('47312482'), 9);
  t.equal(s10CheckDigit('10000014'), 0, '11 − (Σ mod 11) = 10 gives 0');
  t.equal(s10CheckDigit('10000002'), 5, '11 − (Σ mod 11) = 11 gives 5');
  t.equal(s10CheckDigit('1234567'), undefined);
  t.equal(s10CheckDigit('1234567A'), undefined);
});

t.test('UPU S10 tracking numbers issued in China', async (t) => {
  for (const id of ['RR123456785CN', 'EA123456785CN', 'EB473124829CN', 'LK100000140CN', 'CP100000025CN']) {
    t.ok(isValidS10TrackingNumber(id), id);
  }
  const bad = {
    'RR123456784CN': 'wrong check digit',
    'RR123456785US': 'not issued in China',
    'rr123456785CN': 'lower-case service indicator',
    'R1123456785CN': 'digit in the service indicator',
    'RR12345678CN': 'serial too short',
    'RR1234567855CN': 'too long',
    'RR 123456785CN': 'space',
    '': 'empty',
  };
  for (const [id, why] of Object.entries(bad)) t.notOk(isValidS10TrackingNumber(id), `${id}: ${why}`);
  // S10 folds check values 10 → 0 and 11 → 5, so a single wrong digit slips through exactly when
  // it turns this serial's check value 5 into 11: the price of a one-digit mod-11 check.
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const slipped: string[] = [];
  let caught = 0;
  for (let i = 2; i < 10; i++) {
    for (const d of '0123456789') {
      const id = 'RR123456785CN';
      if (d === id[i]) continue;
      const corrupted = id.slice(0, i) + d + id.slice(i + 1);
      if (!isValidS10TrackingNumber(corrupted)) caught++;
      else slipped.push(corrupted.slice(2, 10));
    }
  }
  const sum = (serial: string) => [...serial].reduce((acc, ch, i) => acc + Number(ch) * weights[i]!, 0);
  t.ok(slipped.every((serial) => sum(serial) % 11 === 0), 'only the 11 → 5 folding lets an error through');
  t.ok(caught >= 65, `${caught} of 72 single-digit errors caught`);
});

t.test('maskIdentifier keeps only the first 3 and last 4 characters', async (t) => {
  t.equal(maskIdentifier('411202198506123014'), '411***********3014');
  t.equal(maskIdentifier('13838800001'), '138****0001');
  t.equal(maskIdentifier('1234567'), '*******', 'too short to show anything');
  t.equal(maskIdentifier(''), '');
});
