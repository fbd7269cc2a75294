import { z } from 'zod';
import type { FieldMessageKey } from './messages.ts';

// Free text and identifiers as people type them. What the applicant writes is forwarded to six
// departments' systems and printed on licences, so text must be exactly what it looks like:
//
//  - refused: control characters, bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069),
//    zero-width characters (U+200B–U+200D, U+2060), BOMs (U+FEFF), variation selectors, tag
//    characters and every other format or default-ignorable character, private-use characters
//    (no department can print them; GB 18030-2022 gives the rare name characters real code points),
//    noncharacters, lone surrogates, line/paragraph separators, and line breaks and tabs except in
//    multi-line text. Each refusal names the character (U+XXXX) and its position.
//  - normalised: Unicode NFC (one encoding per character, so "é" typed two ways is one name; NFC
//    also maps the CJK compatibility ideographs U+F900–U+FAFF to their unified forms), every kind
//    of space (ideographic U+3000, no-break U+00A0 …) to a plain space, runs of spaces to one in
//    single-line text, CRLF to LF, and leading/trailing blanks trimmed.
//
// Identifiers (identity numbers, mobile numbers, credit codes) are typed on Chinese keyboards in
// full-width as often as not: they are NFKC-normalised (full-width digits and letters become
// ASCII), spaces and hyphens are dropped, letters upper-cased, and a mobile number's +86 / 0086
// prefix is removed. What is stored and forwarded is always the canonical half-width form.

/** A single character nobody can see (or that changes how others are shown). */
const INVISIBLE_SOURCE = String.raw`\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\u2800`;
const FORBIDDEN_SINGLE_LINE = new RegExp(`[${INVISIBLE_SOURCE}]`, 'u');
const FORBIDDEN_MULTI_LINE = new RegExp(`(?![\\n\\r\\t])[${INVISIBLE_SOURCE}]`, 'u');
const LINE_BREAK = /[\n\r\t]/;

export interface ForbiddenCharacter {
  /** "U+202E" */
  codePoint: string;
  /** 1-based position in characters (code points), as a person counts them. */
  position: number;
  /** A line break or tab in single-line text (a different message: "must be on one line"). */
  lineBreak: boolean;
}

/** The first character free text may not contain, or null. */
export function forbiddenCharacter(text: string, options: { multiline?: boolean } = {}): ForbiddenCharacter | null {
  const pattern = options.multiline ? FORBIDDEN_MULTI_LINE : FORBIDDEN_SINGLE_LINE;
  if (!pattern.test(text)) return null;
  let position = 0;
  for (const ch of text) {
    position++;
    if (pattern.test(ch)) {
      const codePoint = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      return { codePoint, position, lineBreak: !options.multiline && LINE_BREAK.test(ch) };
    }
  }
  return null;
}

/** NFC, spaces unified, CRLF → LF, runs of spaces collapsed (single-line), trimmed. */
export function normalizeText(text: string, options: { multiline?: boolean } = {}): string {
  let out = text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/[^\S\n\t]/gu, ' ');
  if (!options.multiline) out = out.replace(/ {2,}/g, ' ');
  return out.trim();
}

/** Full-width → half-width (NFKC), trimmed: for values whose punctuation matters (a month "2026-02"). */
export function normalizeHalfWidth(text: string): string {
  return text.normalize('NFKC').trim();
}

/** Full-width → half-width (NFKC), no spaces or hyphens, upper case. */
export function normalizeIdentifier(text: string): string {
  return text.normalize('NFKC').replace(/[\s\-‐‑‒–—－]/gu, '').toUpperCase();
}

/** An identifier, and for a mobile number also without the country prefix (+86, 0086). */
export function normalizeMobile(text: string): string {
  return normalizeIdentifier(text).replace(/^(?:\+86|0086)(?=1\d{10}$)/, '');
}

/** Middle-dot look-alikes people type in transliterated names (阿卜杜拉·买买提) → U+00B7. */
const MIDDLE_DOTS = /[•・‧∙･⋅●]/gu;
/** Letters and marks of any script, the middle dot, spaces, hyphens, apostrophes (and the dot of "Jr."). */
const PERSON_NAME = /^[\p{L}\p{M}·' .\-’]+$/u;

type RefineCtx = z.core.$RefinementCtx<string>;

/** Refuses invisible characters; aborts the field's other checks (one clear message per field). */
function refuseInvisible(multiline: boolean) {
  return (value: string, ctx: RefineCtx) => {
    const found = forbiddenCharacter(value, { multiline });
    if (!found) return;
    ctx.addIssue(
      found.lineBreak
        ? { code: 'custom', message: 'text.line_break' satisfies FieldMessageKey, continue: false }
        : { code: 'custom', message: 'text.invisible_character' satisfies FieldMessageKey, params: { codePoint: found.codePoint, position: found.position }, continue: false },
    );
  };
}

export interface TextRule {
  /** Minimum length after normalisation (characters, as zod counts them: UTF-16 code units). */
  min?: number;
  max: number;
  /** Line breaks allowed (business scope, notes). */
  multiline?: boolean;
  /** A keyed message for `min` (else the generic "at least N characters"). */
  tooShort?: FieldMessageKey;
}

/** Free text: see the header of this file. Marked `x-text` in the schema (JSON Schema / OpenAPI) as single or multi-line. */
export function freeText(rule: TextRule) {
  const multiline = rule.multiline ?? false;
  let schema = z
    .string()
    .meta({ 'x-text': multiline ? 'multiline' : 'line' })
    .superRefine(refuseInvisible(multiline))
    .overwrite((value) => normalizeText(value, { multiline }));
  if (rule.min !== undefined) schema = rule.tooShort ? schema.min(rule.min, rule.tooShort) : schema.min(rule.min);
  return schema.max(rule.max);
}

/** A person's name: free text limited to the characters names are made of. */
export function personName(rule: { min: number; max: number }) {
  return z
    .string()
    .meta({ 'x-text': 'line' })
    .superRefine(refuseInvisible(false))
    .overwrite((value) => normalizeText(value).replace(MIDDLE_DOTS, '·'))
    .min(rule.min, 'person_name.too_short' satisfies FieldMessageKey)
    .max(rule.max)
    .regex(PERSON_NAME, 'person_name.characters' satisfies FieldMessageKey);
}

/** An identifier typed by a person: refused if it hides characters, then normalised (see above). */
export function identifier(normalize: (value: string) => string = normalizeIdentifier) {
  return z.string().superRefine(refuseInvisible(false)).overwrite(normalize);
}
