// What every department adapter has in common (docs/style.md §2), so that a department folder holds
// only what is particular to it: which fields of the application (and of earlier results) it is
// entitled to. The HTTP policy lives in ./http.ts.

import { STEP_CONTRACTS, issuesToDetails } from '../contracts/index.ts';
import type { ApplicationForm, StepId, StepRequestData, StepResult } from '../contracts/index.ts';
import { createDepartmentClient } from './http.ts';
import type { AdapterFactory, DepartmentAdapter, PriorResults } from './types.ts';

/** Cuts one department's request out of the form and earlier results (data minimisation). */
export type RequestBuilder<S extends StepId> = (form: ApplicationForm, prior: PriorResults) => StepRequestData<S>;

/**
 * Builds the factory of a department adapter from its step id and its request builder.
 * The built request goes through the step's request schema, so a builder that drifts from the
 * contract (a missing field, a renamed one) throws here instead of reaching the department.
 */
export function defineAdapter<S extends StepId>(step: S, build: RequestBuilder<S>): AdapterFactory<S> {
  const contract = STEP_CONTRACTS[step];
  return (options) => {
    const client = createDepartmentClient({ ...options, step });
    const adapter: DepartmentAdapter<S> = {
      step,
      buildRequest(form, prior) {
        return contract.request.parse(build(form, prior)) as StepRequestData<S>;
      },
      submit: (envelope) => client.submit(envelope),
      poll: (reference) => client.poll(reference),
      parseResult(result) {
        const parsed = contract.result.safeParse(result);
        return parsed.success
          ? { ok: true, result: parsed.data as StepResult<S> }
          : { ok: false, issues: issuesToDetails(parsed.error.issues) };
      },
      breakerState: () => client.breakerState(),
      close: () => client.close(),
    };
    return Object.freeze(adapter);
  };
}

/**
 * The result of an earlier step that this step's request draws on. The orchestration only
 * starts a step once its prerequisites are done, so a missing one is a bug: throw, loudly.
 */
export function requirePrior<P extends StepId>(prior: PriorResults, needed: P, neededBy: StepId): StepResult<P> {
  const result = prior[needed] as StepResult<P> | undefined;
  if (result === undefined) {
    throw new Error(`The ${neededBy} request needs the result of ${needed}, which is not available yet; ${neededBy} must not start before ${needed} completes`);
  }
  return result;
}

/** A copy of an address with exactly its contract fields. */
export function copyAddress(address: ApplicationForm['address']): ApplicationForm['address'] {
  return { divisionCode: address.divisionCode, detail: address.detail };
}
