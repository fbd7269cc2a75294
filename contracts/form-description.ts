import { z } from 'zod';
import { APPLICATION_FORM_FIELDS, APPLICATION_FORM_SECTIONS, APPLICATION_FORM_VALUES, type FormSection } from './form-labels.ts';
import type { Locale } from './messages.ts';

// A form a page can build itself from: sections, and per field its path, type, whether it is
// required, its label, hint and example, its allowed values with their labels and its limits
// (min/max, length, pattern) — generated from the zod schema (its JSON Schema, z.toJSONSchema) plus
// the label table next to it, in one language. The schema stays the authority: a page validates with
// the same zod schemas; this description only tells it what to draw.

export const FormField = z
  .object({
    path: z.string().describe('Dotted path in the submitted document; "[]" stands for each item of a list'),
    type: z.enum(['text', 'integer', 'number', 'choice', 'choices', 'group', 'list', 'boolean']),
    required: z.boolean(),
    label: z.string(),
    hint: z.string().optional(),
    example: z.union([z.string(), z.number()]).optional(),
    values: z.array(z.object({ value: z.string(), label: z.string() })).optional().describe('Allowed values (choice, choices)'),
    multiline: z.boolean().optional(),
    minLength: z.number().optional(),
    maxLength: z.number().optional(),
    pattern: z.string().optional(),
    minimum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    maximum: z.number().optional(),
    minItems: z.number().optional(),
    maxItems: z.number().optional(),
    default: z.unknown().optional(),
    when: z.object({ path: z.string(), equals: z.string() }).optional().describe('Shown only when another field has this value'),
  })
  .meta({ id: 'FormField' });
export type FormField = z.infer<typeof FormField>;

export const FormDescription = z
  .object({
    form: z.string(),
    language: z.string(),
    sections: z.array(z.object({ id: z.string(), title: z.string(), hint: z.string().optional(), fields: z.array(FormField) })),
  })
  .meta({ id: 'FormDescription' });
export type FormDescription = z.infer<typeof FormDescription>;

type JsonSchema = {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  'x-text'?: string;
};

/** A field before its words are looked up: the structural facts from the schema. */
interface RawField extends Omit<FormField, 'label' | 'hint' | 'example' | 'values'> {
  /** Key into the label table ("shareholders[].name#company" for a variant's field). */
  labelKeys: string[];
  values?: string[];
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/** Walks the JSON Schema of a form into its fields, in document order. */
export function formFields(schema: z.ZodType): RawField[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const defs = root.$defs ?? {};
  const deref = (node: JsonSchema): JsonSchema => {
    let current = node;
    for (let hops = 0; current.$ref && hops < 16; hops++) current = defs[current.$ref.replace('#/$defs/', '')] ?? {};
    return current;
  };
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  const out: RawField[] = [];

  function walk(node: JsonSchema, path: string, required: boolean, when: RawField['when'], variant: string | undefined): void {
    const n = deref(node);
    const labelKeys = variant ? [`${path}#${variant}`, path] : [path];
    const base = { path, required, labelKeys, ...(when ? { when } : {}) };
    const variants = n.oneOf ?? n.anyOf;
    if (variants) {
      const members = variants.map(deref);
      const discriminator = Object.keys(members[0]?.properties ?? {}).find((key) => members.every((m) => m.properties?.[key]?.const !== undefined));
      if (!discriminator) {
        out.push({ ...base, type: 'group' });
        return;
      }
      // A list's items are described by their fields; anything else is a group a page draws as such.
      if (path && !path.endsWith('[]')) out.push({ ...base, type: 'group' });
      const discPath = join(path, discriminator);
      out.push({ path: discPath, required: true, labelKeys: [discPath], type: 'choice', values: members.map((m) => String(m.properties![discriminator]!.const)), ...(when ? { when } : {}) });
      for (const member of members) {
        const value = String(member.properties![discriminator]!.const);
        for (const [key, child] of Object.entries(member.properties ?? {})) {
          if (key === discriminator) continue;
          walk(child, join(path, key), member.required?.includes(key) ?? false, { path: discPath, equals: value }, value);
        }
      }
      return;
    }
    switch (n.type) {
      case 'object': {
        if (path && !path.endsWith('[]')) out.push({ ...base, type: 'group' });
        for (const [key, child] of Object.entries(n.properties ?? {})) walk(child, join(path, key), n.required?.includes(key) ?? false, when, variant);
        return;
      }
      case 'array': {
        const items = deref(n.items ?? {});
        const limits = { ...(n.minItems !== undefined ? { minItems: n.minItems } : {}), ...(n.maxItems !== undefined ? { maxItems: n.maxItems } : {}) };
        if (items.enum) {
          out.push({ ...base, ...limits, type: 'choices', values: items.enum.map(String) });
          return;
        }
        out.push({ ...base, ...limits, type: 'list' });
        walk(items, `${path}[]`, true, when, variant);
        return;
      }
      case 'string': {
        if (n.enum) {
          out.push({ ...base, type: 'choice', values: n.enum.map(String) });
          return;
        }
        out.push({
          ...base,
          type: 'text',
          ...(n['x-text'] === 'multiline' ? { multiline: true } : {}),
          ...(n.minLength !== undefined ? { minLength: n.minLength } : {}),
          ...(n.maxLength !== undefined ? { maxLength: n.maxLength } : {}),
          ...(n.pattern !== undefined ? { pattern: n.pattern } : {}),
          ...(n.default !== undefined ? { default: n.default } : {}),
        });
        return;
      }
      case 'integer':
      case 'number': {
        out.push({
          ...base,
          type: n.type,
          // zod's integer bounds (±2^53−1) say nothing a person needs.
          ...(n.minimum !== undefined && Math.abs(n.minimum) < SAFE_INTEGER ? { minimum: n.minimum } : {}),
          ...(n.exclusiveMinimum !== undefined ? { exclusiveMinimum: n.exclusiveMinimum } : {}),
          ...(n.maximum !== undefined && Math.abs(n.maximum) < SAFE_INTEGER ? { maximum: n.maximum } : {}),
        });
        return;
      }
      case 'boolean':
        out.push({ ...base, type: 'boolean' });
        return;
      default:
        out.push({ ...base, type: 'text' });
    }
  }
  walk(root, '', true, undefined, undefined);
  return out;
}

export interface DescribeOptions {
  locale: Locale;
  /** Top-level sections optional in the contract that this deployment requires (e.g. housingFund). */
  requiredSections?: readonly string[];
  /** Allowed values a deployment adds, with their labels (e.g. the city's districts for address.divisionCode). */
  values?: Readonly<Record<string, ReadonlyArray<{ value: string; label: string }>>>;
}

/** The application form, described for a page in one language. Optional sections appear only when required. */
export function describeApplicationForm(schema: z.ZodType, options: DescribeOptions): FormDescription {
  const { locale } = options;
  const required = new Set(options.requiredSections ?? []);
  const fields = formFields(schema);
  const topLevel = (path: string) => path.split(/[.[]/)[0]!;
  const sections = APPLICATION_FORM_SECTIONS.filter((s: FormSection) => !s.optional || s.fields.some((f) => required.has(f)));
  return {
    form: 'ApplicationForm',
    language: locale === 'zh' ? 'zh-CN' : 'en',
    sections: sections.map((section) => ({
      id: section.id,
      title: section.title[locale],
      ...(section.hint ? { hint: section.hint[locale] } : {}),
      fields: fields
        .filter((f) => section.fields.includes(topLevel(f.path)))
        .map((f) => {
          const text = f.labelKeys.map((k) => APPLICATION_FORM_FIELDS[k]).find((t) => t !== undefined);
          const valueLabels = APPLICATION_FORM_VALUES[f.path] ?? {};
          const { labelKeys: _keys, values, ...rest } = f;
          const deploymentValues = options.values?.[f.path];
          return {
            ...rest,
            required: f.required || (required.has(f.path)),
            label: text?.label[locale] ?? f.path,
            ...(text?.hint ? { hint: text.hint[locale] } : {}),
            ...(text?.example !== undefined ? { example: text.example } : {}),
            ...(deploymentValues
              ? { type: 'choice' as const, values: [...deploymentValues] }
              : values
                ? { values: values.map((value) => ({ value, label: valueLabels[value]?.[locale] ?? value })) }
                : {}),
          };
        }),
    })),
  };
}
