// The SMS service (短信平台): the gateway's one outbound channel to applicants' phones — sign-in
// codes now, notices (correction needed, completed) for the portal later. Same shape as a
// department adapter (docs/style.md §2): a factory over the shared outbound policy
// (../outbound.ts: one Agent with timeouts, signed requests, classified transport errors), one HTTP
// exchange per call and no retry in memory (the caller decides: a sign-in code is asked for again
// by the person waiting for it).
//
// Nothing a message carries is ever logged — a sign-in code is a credential, a mobile number is
// personal data: log lines name the template and the message id only.

import type { Logger } from 'pino';
import type { Agent, Dispatcher } from 'undici';
import { ErrorBody, SMS_MESSAGES_PATH, SmsSendAnswer, SmsSendRequest, type SmsMessage } from '../../contracts/index.ts';
import { classifyTransportError, createRequestSigner, createServiceAgent, postSignedJson } from '../outbound.ts';

export const SMS_DEFAULT_TIMEOUT_MS = 5_000;

export type SmsOutcome =
  | { kind: 'sent'; messageId: string }
  /** transient: worth asking again later (no answer, 5xx, 429); permanent: the service refused this message or our signature. */
  | { kind: 'failed'; transient: boolean; code: SmsFailureCode; status: number | null };

export const SMS_FAILURES = {
  SMS_UNREACHABLE: { transient: true, message: 'Could not reach the SMS service, or it did not answer in time' },
  SMS_UNAVAILABLE: { transient: true, message: 'The SMS service answered with a server error or asked us to slow down' },
  SMS_ANSWER_INVALID: { transient: true, message: 'The SMS service answer does not match the contract' },
  SMS_REFUSED: { transient: false, message: 'The SMS service refused the message' },
  SMS_AUTH_REFUSED: { transient: false, message: "The SMS service refused the gateway's signature; check SMS_SECRET on both sides" },
  SMS_MESSAGE_INVALID: { transient: false, message: 'The message does not match the SMS contract; nothing was sent' },
} as const;
export type SmsFailureCode = keyof typeof SMS_FAILURES;

export interface SmsAdapterOptions {
  baseUrl: string;
  /** Current secret first, then the previous one during a change-over. */
  secrets: readonly string[];
  log: Logger;
  timeoutMs?: number;
  now?: () => Date;
  /** Injected (tests); by default the adapter owns one undici Agent. */
  dispatcher?: Dispatcher;
}

export interface SmsAdapter {
  /** POST {baseUrl}/messages; never throws. `messageId` makes a repeated send harmless. */
  send(messageId: string, message: SmsMessage): Promise<SmsOutcome>;
  close(): Promise<void>;
}

export function createSmsAdapter(options: SmsAdapterOptions): SmsAdapter {
  const timeoutMs = options.timeoutMs ?? SMS_DEFAULT_TIMEOUT_MS;
  const base = options.baseUrl.replace(/\/+$/, '');
  const signer = createRequestSigner(options.secrets, options.now);
  const ownAgent: Agent | null = options.dispatcher ? null : createServiceAgent(timeoutMs);
  const dispatcher: Dispatcher = options.dispatcher ?? ownAgent!;
  const log = options.log.child({ service: 'sms' });
  let closing: Promise<void> | undefined;

  const failed = (code: SmsFailureCode, status: number | null, template: string, messageId: string): SmsOutcome => {
    log.warn({ template, messageId, code, status }, 'text message not sent');
    return { kind: 'failed', transient: SMS_FAILURES[code].transient, code, status };
  };

  return {
    async send(messageId, message) {
      const parsed = SmsSendRequest.safeParse({ ...message, messageId });
      if (!parsed.success) return failed('SMS_MESSAGE_INVALID', null, message.template, messageId);
      const body = JSON.stringify(parsed.data);
      let status: number;
      let text: string;
      try {
        ({ status, text } = await postSignedJson(dispatcher, `${base}${SMS_MESSAGES_PATH}`, body, signer, timeoutMs));
      } catch (error) {
        const { problem } = classifyTransportError(error);
        return failed(problem === 'invalid_call' || problem === 'too_large' ? 'SMS_REFUSED' : 'SMS_UNREACHABLE', null, message.template, messageId);
      }
      if (status === 429 || status >= 500) return failed('SMS_UNAVAILABLE', status, message.template, messageId);
      if (status === 401) return failed('SMS_AUTH_REFUSED', status, message.template, messageId);
      if (status < 200 || status >= 300) {
        // The service's error code only: its message might echo the recipient.
        let code: string | undefined;
        try {
          const error = ErrorBody.safeParse(JSON.parse(text));
          code = error.success ? error.data.code.slice(0, 64) : undefined;
        } catch {
          code = undefined;
        }
        log.warn({ template: message.template, messageId, status, serviceCode: code }, 'SMS service refused the message');
        return { kind: 'failed', transient: false, code: 'SMS_REFUSED', status };
      }
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        return failed('SMS_ANSWER_INVALID', status, message.template, messageId);
      }
      const accepted = SmsSendAnswer.safeParse(answer);
      if (!accepted.success) return failed('SMS_ANSWER_INVALID', status, message.template, messageId);
      log.info({ template: message.template, messageId, serviceMessageId: accepted.data.messageId }, 'text message sent');
      return { kind: 'sent', messageId: accepted.data.messageId };
    },
    close() {
      closing ??= ownAgent ? ownAgent.close() : Promise.resolve();
      return closing;
    },
  };
}
