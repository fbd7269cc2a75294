// Check-character arithmetic for the identifiers the departments issue and the applicant supplies.
// Pure functions, no I/O: the zod schemas below and the mocks' generators share them.

/** GB 32100-2015 character set: digits and 21 letters (no I, O, Z, S, V). */
export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Weights 3^(i-1) mod 31 for positions 1..17 (GB 32100-2015, 5.1). */
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 11714 organisation-code weights for its 8 body characters. */
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
/** GB 11643 resident identity number weights for its 17 body digits. */
const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_ID_CHECK = '10X98765432';

/** The 18th character of a credit code whose first 17 characters are `body`; undefined if `body` is malformed. */
export function creditCodeCheckChar(body: string): string | undefined {
  if (body.length !== 17) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_ALPHABET.indexOf(body[i]!);
    if (value < 0) return undefined;
    sum += value * CREDIT_CODE_WEIGHTS[i]!;
  }
  const check = (31 - (sum % 31)) % 31; // 31 → 0
  return CREDIT_CODE_ALPHABET[check];
}

/**
 * GB 11714 check character for an 8-character organisation-code body (digits or capital letters,
 * letters valued A=10 … Z=35). Check = 11 − (Σ mod 11); 10 → X, 11 → 0.
 */
export function orgCodeCheckChar(body: string): string | undefined {
  if (!/^[0-9A-Z]{8}$/.test(body)) return undefined;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(body[i]!, 36) * ORG_CODE_WEIGHTS[i]!;
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

export type CreditCodeProblem =
  | 'length'
  | 'alphabet'
  | 'registration_authority'
  | 'division_code'
  | 'organisation_code_check'
  | 'check_character';

/**
 * Validates a Unified Social Credit Code (GB 32100-2015) and says what is wrong with it.
 * Positions: 1 registration authority, 2 entity category, 3–8 division code, 9–17 organisation
 * code (GB 11714, its 9th character a check character), 18 check character.
 */
export function creditCodeProblem(code: string): CreditCodeProblem | undefined {
  if (code.length !== 18) return 'length';
  for (const ch of code) if (!CREDIT_CODE_ALPHABET.includes(ch)) return 'alphabet';
  // GB 32100-2015 Appendix A: 1–8 other registration authorities, 9 market regulator (工商), A 中央军委改革和编制办公室, N agriculture, Y other.
  if (!/^[1-9ANY]/.test(code)) return 'registration_authority';
  if (!/^\d{6}$/.test(code.slice(2, 8))) return 'division_code';
  const orgCode = code.slice(8, 17);
  if (orgCodeCheckChar(orgCode.slice(0, 8)) !== orgCode[8]) return 'organisation_code_check';
  if (creditCodeCheckChar(code.slice(0, 17)) !== code[17]) return 'check_character';
  return undefined;
}

export const isValidCreditCode = (code: string): boolean => creditCodeProblem(code) === undefined;

export type ResidentIdProblem = 'format' | 'birth_date' | 'birth_date_future' | 'check_character';

/** The earliest birth year accepted: GB 11643 numbers were issued from 1999 to people alive then. */
export const EARLIEST_BIRTH_YEAR = 1900;

/** "YYYY-MM-DD" of the birth date in an 18-character resident identity number, or undefined if it is not a real date. */
export function residentIdBirthDate(id: string): string | undefined {
  if (!/^\d{17}[\dX]$/.test(id)) return undefined;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (birth.getUTCFullYear() !== year || birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day) return undefined;
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/**
 * Validates an 18-character resident identity number (GB 11643-1999): 17 digits, check character,
 * a real birth date from 1900 on — and, when `today` ("YYYY-MM-DD", the deployment's calendar
 * date; contracts read no clock) is given, not after today.
 */
export function residentIdProblem(id: string, options: { today?: string } = {}): ResidentIdProblem | undefined {
  if (!/^\d{17}[\dX]$/.test(id)) return 'format';
  const birth = residentIdBirthDate(id);
  if (birth === undefined || Number(birth.slice(0, 4)) < EARLIEST_BIRTH_YEAR) return 'birth_date';
  if (options.today !== undefined && birth > options.today) return 'birth_date_future';
  if (residentIdCheckChar(id.slice(0, 17)) !== id[17]) return 'check_character';
  return undefined;
}

/**
 * The latest birth date ("YYYY-MM-DD") of someone who is at least `years` old on `today`.
 * Ages count by calendar date: a person born on 29 February turns 18 on 1 March in a common year
 * (the date 18 years on does not exist, and we do not count a day early).
 */
export function latestBirthDateForAge(today: string, years: number): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const year = y - years;
  const isLeap = (yy: number) => (yy % 4 === 0 && yy % 100 !== 0) || yy % 400 === 0;
  // Today is 28 Feb of a common year and the birthday was 29 Feb: not yet (their birthday is 1 March).
  // Born on 29 Feb `years` ago in a leap year while today is 29 Feb: exactly.
  if (m === 2 && d === 29 && !isLeap(year)) return `${String(year).padStart(4, '0')}-02-28`;
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** True if someone born on `birth` ("YYYY-MM-DD") is at least `years` old on `today`. */
export function isAtLeastYearsOld(birth: string, today: string, years: number): boolean {
  return birth <= latestBirthDateForAge(today, years);
}

export function residentIdCheckChar(body: string): string | undefined {
  if (!/^\d{17}$/.test(body)) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * RESIDENT_ID_WEIGHTS[i]!;
  return RESIDENT_ID_CHECK[sum % 11];
}

export const isValidResidentId = (id: string): boolean => residentIdProblem(id) === undefined;

/** UPU S10 check digit for the 8-digit serial of an item identifier such as "EA123456785CN". */
export function s10CheckDigit(serial: string): number | undefined {
  if (!/^\d{8}$/.test(serial)) return undefined;
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * weights[i]!;
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

/** True for a well-formed UPU S10 item identifier issued in China (two letters, 8 digits, check digit, "CN"). */
export function isValidS10TrackingNumber(id: string): boolean {
  const match = /^[A-Z]{2}(\d{8})(\d)CN$/.exec(id);
  return match !== null && s10CheckDigit(match[1]!) === Number(match[2]);
}

/** Masks all but the first 3 and last 4 characters; personal identifiers never appear whole in logs. */
export function maskIdentifier(value: string): string {
  if (value.length <= 7) return '*'.repeat(value.length);
  return value.slice(0, 3) + '*'.repeat(value.length - 7) + value.slice(-4);
}
