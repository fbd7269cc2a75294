// Text messages to the applicant when the machine asks for one (notifyApplicant → a notification row
// in the outbox, performed by the executor like a department call: retried on durable timers, never
// sent twice for one occasion — the message id names the occasion, and the SMS service sends a
// repeated id once).
//
// To whom: the legal representative's mobile number in the form — the person responsible for the
// company, and the one number the gateway holds in clear (a signed-in owner's number is kept only as
// a keyed hash). A correction that names a new legal representative moves later messages with it.

import { SMS_TEMPLATE_PARAMETERS, type SmsMessage } from '../contracts/index.ts';
import type { SmsAdapter, SmsOutcome } from '../services/index.ts';
import type { ApplicantNotice } from './orchestration/machine.ts';
import type { ApplicationRow } from './store/types.ts';

export interface ApplicantNotifier {
  /** Sends one notice about `application`; never throws. */
  notify(notice: ApplicantNotice, application: ApplicationRow): Promise<SmsOutcome>;
}

/** The SMS message id of a notice: stable for its occasion, within the contract's 8–128 characters. */
export const noticeMessageId = (applicationId: string, notice: ApplicantNotice): string =>
  `notice:${applicationId}:${notice.notice}:${notice.step ?? 'application'}:${notice.generation}`;

export function createApplicantNotifier(sms: SmsAdapter): ApplicantNotifier {
  return {
    async notify(notice, application) {
      const parameters = SMS_TEMPLATE_PARAMETERS[notice.notice].parse({ companyName: application.form.companyName, applicationId: application.id });
      const message = { recipient: application.form.legalRepresentative.mobile, template: notice.notice, parameters } as SmsMessage;
      return sms.send(noticeMessageId(application.id, notice), message);
    },
  };
}
