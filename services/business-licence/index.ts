// 市场监管 (market regulator): registration and the electronic business licence. The first step,
// so it draws on no earlier result; it is the one department entitled to the shareholders.
//
// Besides the step, the regulator answers the name pre-check (名称自主申报/查重) the portal asks
// while the applicant types: POST {base}/name-checks, signed like every gateway request, one HTTP
// exchange with a short timeout and no retry (the person is waiting; the page asks again).

import type { Agent, Dispatcher } from 'undici';
import { NAME_CHECK_PATH, NameCheckAnswer, NameCheckRequest } from '../../contracts/index.ts';
import { copyAddress, defineAdapter } from '../kit.ts';
import { classifyTransportError, createRequestSigner, createServiceAgent, postSignedJson } from '../outbound.ts';
import type { AdapterOptions, DepartmentAdapter } from '../types.ts';

const createLicenceStepAdapter = defineAdapter('business-licence', (form) => ({
  companyName: form.companyName,
  entityType: form.entityType,
  registeredCapitalYuan: form.registeredCapitalYuan,
  address: copyAddress(form.address),
  businessScope: form.businessScope,
  legalRepresentative: {
    name: form.legalRepresentative.name,
    idNumber: form.legalRepresentative.idNumber,
    mobile: form.legalRepresentative.mobile,
  },
  shareholders: form.shareholders.map((holder) =>
    holder.kind === 'person'
      ? { kind: holder.kind, name: holder.name, idNumber: holder.idNumber, contribution: { amountYuan: holder.contribution.amountYuan } }
      : { kind: holder.kind, name: holder.name, creditCode: holder.creditCode, contribution: { amountYuan: holder.contribution.amountYuan } },
  ),
}));

/** A name check asked while a person waits: short. */
export const NAME_CHECK_TIMEOUT_MS = 3_000;

export type NameCheckOutcome =
  | { kind: 'answered'; answer: NameCheckAnswer }
  /** No usable answer: the regulator did not answer, refused, or answered outside the contract. */
  | { kind: 'failed'; code: 'NAME_CHECK_UNREACHABLE' | 'NAME_CHECK_REFUSED' | 'NAME_CHECK_ANSWER_INVALID'; status: number | null };

export interface BusinessLicenceAdapter extends DepartmentAdapter<'business-licence'> {
  /** The name pre-check; never throws. */
  checkName(check: NameCheckRequest): Promise<NameCheckOutcome>;
}

export function createBusinessLicenceAdapter(options: AdapterOptions): BusinessLicenceAdapter {
  const step = createLicenceStepAdapter(options);
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = Math.min(options.timeoutMs ?? NAME_CHECK_TIMEOUT_MS, NAME_CHECK_TIMEOUT_MS);
  const signer = createRequestSigner(options.secrets, options.now);
  const ownAgent: Agent | null = options.dispatcher ? null : createServiceAgent(timeoutMs);
  const dispatcher: Dispatcher = options.dispatcher ?? ownAgent!;
  const log = options.log.child({ step: 'business-licence', operation: 'name_check' });
  let closing: Promise<void> | undefined;

  const failed = (code: Extract<NameCheckOutcome, { kind: 'failed' }>['code'], status: number | null, detail?: string): NameCheckOutcome => {
    // The proposed name is not personal data, but nothing of the answer is logged either: the code says enough.
    log.warn({ code, status, detail }, 'name check failed');
    return { kind: 'failed', code, status };
  };

  return Object.freeze({
    ...step,
    async checkName(check: NameCheckRequest): Promise<NameCheckOutcome> {
      const body = JSON.stringify(NameCheckRequest.parse(check));
      let status: number;
      let text: string;
      try {
        ({ status, text } = await postSignedJson(dispatcher, `${base}${NAME_CHECK_PATH}`, body, signer, timeoutMs));
      } catch (error) {
        return failed('NAME_CHECK_UNREACHABLE', null, classifyTransportError(error).code);
      }
      if (status !== 200) return failed(status >= 500 || status === 429 ? 'NAME_CHECK_UNREACHABLE' : 'NAME_CHECK_REFUSED', status);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return failed('NAME_CHECK_ANSWER_INVALID', status, 'not JSON');
      }
      const answer = NameCheckAnswer.safeParse(json);
      if (!answer.success) return failed('NAME_CHECK_ANSWER_INVALID', status, answer.error.issues.map((i) => i.path.join('.')).join(', '));
      return { kind: 'answered', answer: answer.data };
    },
    async close() {
      closing ??= Promise.all([step.close(), ownAgent ? ownAgent.close() : Promise.resolve()]).then(() => undefined);
      return closing;
    },
  });
}

/** Whether an adapter can answer name checks (the business-licence adapter can). */
export const canCheckNames = (adapter: DepartmentAdapter | undefined): adapter is BusinessLicenceAdapter =>
  typeof (adapter as Partial<BusinessLicenceAdapter> | undefined)?.checkName === 'function';
