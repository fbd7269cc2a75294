// Generators for the identifiers departments issue. Every check character comes from the same
// functions in contracts/identifiers.ts that the gateway validates with, so a mock can never issue
// an identifier the gateway would refuse.
import { CREDIT_CODE_ALPHABET, creditCodeCheckChar, orgCodeCheckChar, s10CheckDigit } from '../../contracts/index.ts';
import { pick, randomChars, type Random } from './random.ts';

export interface CreditCodeParts {
  /** 6-digit administrative division code (GB/T 2260), positions 3–8. */
  divisionCode: string;
  /** Position 1, registration authority: '9' is the market regulator (工商). */
  authority?: string;
  /** Position 2, entity category: '1' is an enterprise (企业). */
  category?: string;
}

/**
 * A Unified Social Credit Code (GB 32100-2015) as a market regulator issues it today: the
 * organisation code (positions 9–17) is a post-2015 "MA…" code with its GB 11714 check character.
 */
export function generateCreditCode(random: Random, { divisionCode, authority = '9', category = '1' }: CreditCodeParts): string {
  if (!/^\d{6}$/.test(divisionCode)) throw new RangeError(`division code must be 6 digits, got "${divisionCode}"`);
  const orgBody = 'MA' + randomChars(random, CREDIT_CODE_ALPHABET, 6);
  const body = authority + category + divisionCode + orgBody + orgCodeCheckChar(orgBody)!;
  const check = creditCodeCheckChar(body);
  if (check === undefined) throw new RangeError(`cannot build a credit code from "${body}"`);
  return body + check;
}

/**
 * ISO 7064 MOD 11,10 check digit, as used by the 15-digit enterprise registration number
 * (工商注册号, GS 15-2006) that the business-licence serial keeps.
 */
export function iso7064Mod1110CheckDigit(digits: string): number {
  let p = 10;
  for (const ch of digits) {
    let s = (p + Number(ch)) % 10;
    if (s === 0) s = 10;
    p = (s * 2) % 11;
  }
  return (11 - p) % 10;
}

export function isValidIso7064Mod1110(digits: string): boolean {
  return /^\d{2,}$/.test(digits) && iso7064Mod1110CheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1));
}

/** 15 digits: registering authority's division code, 8-digit serial, ISO 7064 MOD 11,10 check digit. */
export function generateRegistrationNumber(random: Random, divisionCode: string): string {
  const body = divisionCode + randomChars(random, '0123456789', 8);
  return body + iso7064Mod1110CheckDigit(body);
}

/** A UPU S10 item identifier issued in China: service indicator, 8-digit serial, check digit, "CN". */
export function generateS10TrackingNumber(random: Random, serviceIndicator = 'E' + pick(random, [...'ABCDEFGHJKLMNPQRTUWXYZ'])): string {
  if (!/^[A-Z]{2}$/.test(serviceIndicator)) throw new RangeError('the S10 service indicator is two capital letters');
  const serial = randomChars(random, '0123456789', 8);
  return `${serviceIndicator}${serial}${s10CheckDigit(serial)}CN`;
}
