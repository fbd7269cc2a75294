// The application form, drawn from the form description the gateway generates from the contract
// (GET /v1/forms/application: sections, fields, labels, hints, examples, allowed values) and
// validated in the browser with the SAME zod schema as the server (contracts/application.ts). A field
// added to the contract appears here without a change to this file; a few fields get a richer
// picker fed by the reference data (seal makers, banks and branches, service halls).
//
// Paths: the description's paths use "[]" for list items ("shareholders[].name"); a drawn control
// carries its concrete path ("shareholders.0.name"), the same dotted path the API's error details
// use, so a server refusal lands on the same field as a browser check.

import type { z } from 'zod';
import type { FormDescription, FormField } from '../../../contracts/form-description.ts';
import { issuesToDetails } from '../../../contracts/messages.ts';
import { append, clear, h, uid } from './dom.ts';

export interface Reference {
  sealMakers: {
    note: string;
    payment: Array<{ value: string; label: string; description: string }>;
    makers: Array<{ id: string; name: string; address: string; phone: string; licence: string; materials: Array<{ material: string; priceYuan: number; label: string }> }>;
  };
  banks: { banks: Array<{ code: string; name: string; branches: Array<{ name: string; address: string }> }> };
  halls: { halls: Array<{ name: string; address: string; phone: string; hours: string }> };
}

export interface FieldError {
  path: string;
  message: string;
}

export interface FormOptions {
  description: FormDescription;
  reference: Reference;
  schema: z.ZodType;
  initial?: Record<string, unknown>;
  /** Only these top-level sections may be edited (a correction); others are shown read-only. */
  editable?: ReadonlySet<string>;
  /** Reasons a department gave, by concrete path (shown at the field, always). */
  reasons?: readonly FieldError[];
  onChange?: () => void;
  /** Extra content under a field (the name pre-check under companyName). */
  slots?: Record<string, HTMLElement>;
}

export interface FormHandle {
  element: HTMLElement;
  values(): Record<string, unknown>;
  /** Validates with the contract; shows the errors of touched fields (all with `all`). Returns every error. */
  validate(all: boolean): FieldError[];
  /** Shows errors from the server (details[].path / message) at their fields. */
  showErrors(errors: readonly FieldError[]): void;
  /** Every concrete path that has a control (for tests of contract coverage). */
  paths(): string[];
  focusFirstError(): void;
}

const parentOf = (path: string) => (path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '');
const concrete = (schemaPath: string, indices: readonly number[]) => {
  let i = 0;
  return schemaPath.replace(/\[\]/g, () => `.${indices[i++] ?? 0}`);
};

export function getPath(obj: unknown, path: string): unknown {
  let node = obj;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = obj;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(keys[i + 1]!);
    node[key] ??= nextIsIndex ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
}

/** Arrays built by index may have holes (a removed item); the submitted list has none. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  return value;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

export function buildForm(options: FormOptions): FormHandle {
  const { description, reference } = options;
  const fields = description.sections.flatMap((s) => s.fields);
  const touched = new Set<string>();
  let showAll = false;
  let serverErrors: FieldError[] = [];
  const reasons = options.reasons ?? [];
  const form = h('div', { class: 'form' });
  const summary = h('div', { class: 'error-summary', tabindex: '-1', hidden: true, role: 'alert' });
  form.appendChild(summary);

  const visible = (el: Element) => !el.closest('[hidden]');
  const controls = () => Array.from(form.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('[data-path]'));
  const editableTop = (path: string) => !options.editable || options.editable.has(path.split('.')[0]!);
  const initialOf = (path: string, field: FormField) => {
    const value = getPath(options.initial, path);
    return value !== undefined ? value : field.default;
  };

  /** Fields whose parent is `parent` (schema paths). */
  const children = (parent: string) => fields.filter((f) => parentOf(f.path) === parent && f.path !== parent);

  function hintIds(_field: FormField, id: string) {
    return `${id}-hint ${id}-error`;
  }

  /** The contract's hint and example; a picker shows its own words instead (a person picks, never types a code). */
  function hint(field: FormField, id: string, extra?: string, picker = false) {
    const example = field.example !== undefined && !picker && field.type !== 'choice' && field.type !== 'choices' ? `例如：${field.example}` : '';
    const text = [picker ? '' : field.hint, example, extra].filter(Boolean).join('；');
    return text ? h('p', { class: 'hint', id: `${id}-hint` }, text) : null;
  }

  function wrap(field: FormField, path: string, indices: readonly number[], content: Array<Node | null>): HTMLElement {
    const el = h('div', { class: `field field-${field.type}`, 'data-field': path }, ...content);
    if (field.when) {
      el.dataset.whenPath = concrete(field.when.path, indices);
      el.dataset.whenEquals = field.when.equals;
    }
    return el;
  }

  function errorSlot(path: string, id: string) {
    return h('p', { class: 'field-error', id: `${id}-error`, 'data-error-for': path, 'aria-live': 'polite' });
  }

  function label(field: FormField, id: string) {
    return h('label', { for: id }, field.label, field.required ? null : h('span', { class: 'optional' }, '（选填）'));
  }

  function renderControl(field: FormField, path: string, indices: readonly number[]): HTMLElement {
    const id = uid('f');
    const disabled = !editableTop(path);
    const value = initialOf(path, field);
    const common = { id, 'data-path': path, 'data-type': field.type, 'aria-describedby': hintIds(field, id), disabled, required: field.required };
    const schemaPath = field.path;

    // Pickers fed by reference data.
    if (schemaPath === 'sealOrder.makerId') {
      const name = uid('maker');
      const radios = reference.sealMakers.makers.map((maker) =>
        h(
          'label',
          { class: 'card-choice' },
          h('input', { type: 'radio', name, value: maker.id, 'data-path': path, 'data-type': 'choice', checked: value === maker.id, disabled }),
          h(
            'span',
            {},
            h('strong', {}, maker.name),
            h('span', { class: 'small' }, `${maker.address} · 电话 ${maker.phone}`),
            h('span', { class: 'small' }, maker.materials.map((m) => `${m.label} ${m.priceYuan} 元/枚`).join('，')),
          ),
        ),
      );
      return wrap(field, path, indices, [
        h('fieldset', { 'aria-describedby': hintIds(field, id) }, h('legend', {}, field.label), hint(field, id, reference.sealMakers.note, true), ...radios, errorSlot(path, id)),
      ]);
    }
    if (schemaPath === 'bank.bankCode' || schemaPath === 'bank.branch' || schemaPath === 'delivery.hall') {
      const select = h('select', common, h('option', { value: '' }, '请选择'));
      if (schemaPath === 'bank.bankCode') for (const bank of reference.banks.banks) select.appendChild(h('option', { value: bank.code }, bank.name));
      if (schemaPath === 'delivery.hall') for (const hall of reference.halls.halls) select.appendChild(h('option', { value: hall.name }, `${hall.name}（${hall.address}）`));
      if (schemaPath === 'bank.branch') select.dataset.branchesOf = concrete('bank.bankCode', indices);
      select.dataset.initial = value === undefined ? '' : String(value);
      select.value = value === undefined ? '' : String(value);
      const extra = schemaPath === 'delivery.hall' ? reference.halls.halls[0]?.hours : undefined;
      return wrap(field, path, indices, [label(field, id), hint(field, id, extra ? `办公时间：${extra}` : undefined, true), select, errorSlot(path, id)]);
    }

    switch (field.type) {
      case 'choice': {
        const values = field.values ?? [];
        if (values.length <= 5) {
          const name = uid('r');
          const payment = schemaPath === 'sealOrder.payment' ? reference.sealMakers.payment : [];
          return wrap(field, path, indices, [
            h(
              'fieldset',
              { 'aria-describedby': hintIds(field, id) },
              h('legend', {}, field.label),
              hint(field, id),
              h(
                'div',
                { class: 'choices' },
                values.map((v) =>
                  h(
                    'label',
                    { class: 'choice' },
                    h('input', { type: 'radio', name, value: v.value, 'data-path': path, 'data-type': 'choice', checked: value === v.value, disabled }),
                    ` ${v.label}`,
                    payment.find((p) => p.value === v.value) ? h('span', { class: 'small' }, payment.find((p) => p.value === v.value)!.description) : null,
                  ),
                ),
              ),
              errorSlot(path, id),
            ),
          ]);
        }
        const select = h('select', common, h('option', { value: '' }, '请选择'), values.map((v) => h('option', { value: v.value }, v.label)));
        select.value = value === undefined ? '' : String(value);
        // A list of named places or things: the person picks a name; the contract's hint speaks of codes.
        return wrap(field, path, indices, [label(field, id), hint(field, id, undefined, true), select, errorSlot(path, id)]);
      }
      case 'choices': {
        const chosen = Array.isArray(value) ? value.map(String) : [];
        return wrap(field, path, indices, [
          h(
            'fieldset',
            { 'aria-describedby': hintIds(field, id) },
            h('legend', {}, field.label),
            hint(field, id),
            h(
              'div',
              { class: 'choices' },
              (field.values ?? []).map((v) =>
                h('label', { class: 'choice' }, h('input', { type: 'checkbox', value: v.value, 'data-path': path, 'data-type': 'choices', checked: chosen.includes(v.value), disabled }), ` ${v.label}`),
              ),
            ),
            errorSlot(path, id),
          ),
        ]);
      }
      case 'boolean':
        return wrap(field, path, indices, [h('label', { class: 'choice' }, h('input', { ...common, type: 'checkbox', checked: value === true, 'data-type': 'boolean' }), ` ${field.label}`), hint(field, id), errorSlot(path, id)]);
      case 'integer':
      case 'number': {
        const input = h('input', { ...common, type: 'text', inputmode: field.type === 'integer' ? 'numeric' : 'decimal', autocomplete: 'off', value: value === undefined ? '' : String(value) });
        return wrap(field, path, indices, [label(field, id), hint(field, id), input, errorSlot(path, id)]);
      }
      default: {
        const attrs = { ...common, ...(field.maxLength ? { maxlength: field.maxLength } : {}), value: value === undefined ? '' : String(value), autocomplete: autocompleteOf(schemaPath) };
        const input = field.multiline ? h('textarea', { ...attrs, rows: 4 }) : h('input', { ...attrs, type: 'text' });
        if (field.multiline) (input as HTMLTextAreaElement).value = value === undefined ? '' : String(value);
        const extra = options.slots?.[schemaPath];
        return wrap(field, path, indices, [label(field, id), hint(field, id), input, extra ?? null, errorSlot(path, id)]);
      }
    }
  }

  function renderList(field: FormField, path: string, indices: readonly number[]): HTMLElement {
    const id = uid('l');
    const items = h('div', { class: 'list-items' });
    const initial = getPath(options.initial, path);
    const count = Array.isArray(initial) && initial.length > 0 ? initial.length : Math.max(1, field.minItems ?? 0);
    let next = 0;
    const disabled = !editableTop(path);
    const addItem = () => {
      const index = next++;
      const number = items.children.length + 1;
      const item = h('fieldset', { class: 'list-item', 'data-item': `${path}.${index}` }, h('legend', {}, `${field.label} ${number}`));
      renderChildren(`${field.path}[]`, [...indices, index], item);
      if (!disabled) {
        item.appendChild(
          h('button', {
            type: 'button',
            class: 'link-button',
            onclick: () => {
              if (items.children.length <= Math.max(1, field.minItems ?? 0)) return;
              item.remove();
              renumber();
              changed();
            },
          }, `删除${field.label} ${number}`),
        );
      }
      items.appendChild(item);
      updateVisibility();
    };
    const renumber = () => {
      Array.from(items.children).forEach((item, i) => {
        const legend = item.querySelector('legend');
        if (legend) legend.textContent = `${field.label} ${i + 1}`;
        const remove = item.querySelector(':scope > .link-button');
        if (remove) remove.textContent = `删除${field.label} ${i + 1}`;
      });
    };
    for (let i = 0; i < count; i++) addItem();
    const add = disabled
      ? null
      : h('button', { type: 'button', class: 'secondary', onclick: () => { if (!field.maxItems || items.children.length < field.maxItems) { addItem(); changed(); } } }, `添加${field.label}`);
    return wrap(field, path, indices, [h('fieldset', { class: 'list', 'aria-describedby': hintIds(field, id) }, h('legend', {}, field.label), hint(field, id), items, add, errorSlot(path, id))]);
  }

  function renderChildren(parent: string, indices: readonly number[], into: HTMLElement): void {
    for (const field of children(parent)) {
      const path = concrete(field.path, indices);
      if (field.type === 'group') {
        const id = uid('g');
        const group = h('fieldset', { class: 'group', 'aria-describedby': hintIds(field, id) }, h('legend', {}, field.label), hint(field, id));
        renderChildren(field.path, indices, group);
        group.appendChild(errorSlot(path, id));
        into.appendChild(wrap(field, path, indices, [group]));
      } else if (field.type === 'list') into.appendChild(renderList(field, path, indices));
      else into.appendChild(renderControl(field, path, indices));
    }
  }

  for (const section of description.sections) {
    // A correction shows the sections it may change; the rest stays as submitted.
    if (options.editable && !section.fields.some((f) => editableTop(f.path))) continue;
    const body = h('section', { class: 'form-section', 'aria-labelledby': `section-${section.id}` }, h('h2', { id: `section-${section.id}` }, section.title), section.hint ? h('p', { class: 'hint' }, section.hint) : null);
    const tops = new Set(section.fields.map((f) => f.path.split(/[.[]/)[0]));
    for (const top of tops) {
      const field = section.fields.find((f) => f.path === top);
      if (!field) continue;
      const path = top!;
      if (field.type === 'group') renderChildren(field.path, [], body);
      else if (field.type === 'list') body.appendChild(renderList(field, path, []));
      else body.appendChild(renderControl(field, path, []));
    }
    form.appendChild(body);
  }

  // ── behaviour ────────────────────────────────────────────────────────────────────────────

  function controlValue(path: string): string | undefined {
    const matches = controls().filter((c) => c.dataset.path === path && visible(c));
    const first = matches[0];
    if (!first) return undefined;
    if (first instanceof HTMLInputElement && first.type === 'radio') return matches.find((c) => (c as HTMLInputElement).checked)?.value;
    return first.value;
  }

  function updateVisibility(): void {
    for (const el of Array.from(form.querySelectorAll<HTMLElement>('[data-when-path]'))) {
      el.hidden = false;
    }
    // Outer conditions first: document order is the order of the description.
    for (const el of Array.from(form.querySelectorAll<HTMLElement>('[data-when-path]'))) {
      el.hidden = controlValue(el.dataset.whenPath!) !== el.dataset.whenEquals;
    }
    for (const select of Array.from(form.querySelectorAll<HTMLSelectElement>('select[data-branches-of]'))) {
      const bank = reference.banks.banks.find((b) => b.code === controlValue(select.dataset.branchesOf!));
      const key = bank?.code ?? '';
      if (select.dataset.bank === key) continue;
      select.dataset.bank = key;
      const keep = select.value || select.dataset.initial || '';
      clear(select);
      select.appendChild(h('option', { value: '' }, bank ? '请选择' : '请先选择开户银行'));
      for (const branch of bank?.branches ?? []) select.appendChild(h('option', { value: branch.name }, `${branch.name}（${branch.address}）`));
      select.value = bank?.branches.some((b) => b.name === keep) ? keep : '';
    }
  }

  function values(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const control of controls()) {
      if (!visible(control)) continue;
      const path = control.dataset.path!;
      const type = control.dataset.type;
      if (control instanceof HTMLInputElement && control.type === 'radio') {
        if (control.checked) setPath(out, path, control.value);
        continue;
      }
      if (type === 'choices') {
        const list = (getPath(out, path) as string[] | undefined) ?? [];
        if ((control as HTMLInputElement).checked) list.push(control.value);
        setPath(out, path, list);
        continue;
      }
      if (type === 'boolean') {
        setPath(out, path, (control as HTMLInputElement).checked);
        continue;
      }
      const raw = control.value.trim();
      if (raw === '') continue;
      if (type === 'integer' || type === 'number') {
        const normalised = raw.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[,，\s]/g, '');
        setPath(out, path, NUMBER.test(normalised) ? Number(normalised) : raw);
      } else setPath(out, path, control.value);
    }
    return compact(out) as Record<string, unknown>;
  }

  function currentErrors(): FieldError[] {
    const parsed = options.schema.safeParse(values());
    const errors = parsed.success ? [] : issuesToDetails(parsed.error.issues, [], 'zh').map((d) => ({ path: d.path, message: d.message }));
    if (!options.editable) return errors;
    return errors.filter((e) => editableTop(e.path)); // a correction: only what may be changed
  }

  /** The error slot for a path: its own, or the nearest enclosing field's. */
  function slotFor(path: string): HTMLElement | null {
    for (let p = path; p; p = parentOf(p)) {
      const slot = Array.from(form.querySelectorAll<HTMLElement>(`[data-error-for="${CSS.escape(p)}"]`)).find(visible);
      if (slot) return slot;
    }
    return null;
  }

  function render(errors: FieldError[]): FieldError[] {
    for (const slot of Array.from(form.querySelectorAll<HTMLElement>('[data-error-for]'))) slot.textContent = '';
    for (const control of controls()) control.removeAttribute('aria-invalid');
    for (const el of Array.from(form.querySelectorAll('.has-error, .has-reason'))) el.classList.remove('has-error', 'has-reason');
    const shown: FieldError[] = [];
    const visibleErrors = errors.filter((e) => showAll || [...touched].some((t) => e.path === t || e.path.startsWith(`${t}.`) || t.startsWith(`${e.path}.`)));
    for (const reason of reasons) {
      const slot = slotFor(reason.path);
      if (!slot) continue;
      slot.closest('.field')?.classList.add('has-reason');
      append(slot, [h('span', { class: 'reason' }, `部门补正意见：${reason.message}`)]);
    }
    for (const error of [...visibleErrors, ...serverErrors]) {
      const slot = slotFor(error.path);
      if (!slot) continue;
      if (slot.querySelector('.message')?.textContent === error.message) continue;
      append(slot, [h('span', { class: 'message' }, error.message)]);
      slot.closest('.field')?.classList.add('has-error');
      for (const control of controls()) if (control.dataset.path === error.path || control.dataset.path?.startsWith(`${error.path}.`)) control.setAttribute('aria-invalid', 'true');
      shown.push(error);
    }
    clear(summary);
    if (showAll && shown.length > 0) {
      summary.hidden = false;
      append(summary, [
        h('h2', {}, `请修改以下 ${shown.length} 处后再提交`),
        h('ul', {}, shown.map((e) => h('li', {}, h('a', { href: '#', 'data-goto': e.path, onclick: (event: Event) => { event.preventDefault(); focusPath(e.path); } }, e.message)))),
      ]);
    } else summary.hidden = true;
    return errors;
  }

  function focusPath(path: string) {
    const control = controls().find((c) => visible(c) && (c.dataset.path === path || c.dataset.path?.startsWith(`${path}.`))) ?? slotFor(path)?.closest('.field')?.querySelector<HTMLElement>('input, select, textarea');
    control?.focus();
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  function changed() {
    updateVisibility();
    serverErrors = [];
    render(currentErrors());
    options.onChange?.();
  }
  form.addEventListener('input', (event) => {
    const path = (event.target as HTMLElement).dataset?.path;
    if (path && (event.target as HTMLInputElement).type !== 'text' && !(event.target instanceof HTMLTextAreaElement)) touched.add(path);
    clearTimeout(timer);
    timer = setTimeout(changed, 150);
  });
  form.addEventListener('focusout', (event) => {
    const path = (event.target as HTMLElement).dataset?.path;
    if (path) touched.add(path);
    clearTimeout(timer);
    changed();
  });
  form.addEventListener('change', () => {
    clearTimeout(timer);
    changed();
  });
  updateVisibility();
  render([]);

  return {
    element: form,
    values,
    validate(all) {
      if (all) showAll = true;
      updateVisibility();
      return render(currentErrors());
    },
    showErrors(errors) {
      showAll = true;
      serverErrors = [...errors];
      render(currentErrors());
    },
    paths: () => [...new Set(controls().map((c) => c.dataset.path!))],
    focusFirstError() {
      if (!summary.hidden) summary.focus();
    },
  };
}

function autocompleteOf(path: string): string {
  if (path === 'legalRepresentative.name' || path === 'delivery.recipient') return 'name';
  if (path.endsWith('mobile')) return 'tel';
  if (path.endsWith('postcode')) return 'postal-code';
  return 'off';
}
