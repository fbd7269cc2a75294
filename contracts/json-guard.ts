// Checks every JSON document that crosses a trust boundary (request bodies, department answers)
// before anything else walks it. Pure and iterative: a document nested thousands of levels deep
// must not overflow the stack of the very code that is meant to refuse it.

/**
 * The deepest nesting any document of the protocol needs is 5 (an application's
 * shareholders.1.contribution.amountYuan); 32 leaves room for every department's result and refuses
 * the 3,500-level bombs that used to overflow recursive walks (and JSON.stringify, which recurses).
 */
export const MAX_JSON_DEPTH = 32;

export type JsonProblemKind =
  /** Nested deeper than MAX_JSON_DEPTH objects/arrays. */
  | 'too_deep'
  /** U+0000: no text has a use for it and PostgreSQL's jsonb cannot store it. */
  | 'nul_character'
  /** A UTF-16 surrogate without its pair ("\ud83d"): not a character at all; PostgreSQL refuses it, SQLite would store it. */
  | 'lone_surrogate'
  /** "__proto__" as an object key: no field is called that, and assigning it changes an object's prototype. */
  | 'forbidden_key';

export interface JsonProblem {
  kind: JsonProblemKind;
  /** Dotted path of the offending value or key ('' for the document itself). */
  path: string;
}

const FORBIDDEN_KEYS = new Set(['__proto__']);

/** With the u flag a paired surrogate is one code point; only an unpaired half matches \p{Cs}. */
const LONE_SURROGATE = /\p{Cs}/u;

function textProblem(text: string): JsonProblemKind | null {
  if (text.includes('\0')) return 'nul_character';
  if (LONE_SURROGATE.test(text)) return 'lone_surrogate';
  return null;
}

/**
 * The first problem in document order, or null. Depth counts containers: `[]` is 1, `[[]]` is 2.
 * Works on any value JSON.parse can return; other values (functions, class instances) are not expected.
 */
export function inspectJson(value: unknown, maxDepth: number = MAX_JSON_DEPTH): JsonProblem | null {
  // An explicit stack of (value, path, depth). Children are pushed in reverse so that they are
  // visited in document order and the problem reported is the first one a reader would find.
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: node, path, depth } = stack.pop()!;
    if (typeof node === 'string') {
      const kind = textProblem(node);
      if (kind) return { kind, path };
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > maxDepth) return { kind: 'too_deep', path };
    const children: Array<{ value: unknown; path: string; depth: number }> = [];
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) children.push({ value: node[i], path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
    } else {
      for (const key of Object.keys(node)) {
        const childPath = path ? `${path}.${key}` : key;
        const kind = FORBIDDEN_KEYS.has(key) ? 'forbidden_key' : textProblem(key);
        if (kind) return { kind, path: childPath };
        children.push({ value: (node as Record<string, unknown>)[key], path: childPath, depth: depth + 1 });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return null;
}
