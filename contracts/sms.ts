import { z } from 'zod';
import { MobileNumber } from './application.ts';

// The SMS service (短信平台) protocol: a plug-in with the same shape as a department (docs/sms.md).
// The gateway POSTs {base}/messages, signed like every gateway request (contracts/signature.ts);
// the service answers 202 with its message id. Messages are built from a fixed set of templates —
// the service's registered templates (短信模板), as Chinese SMS providers require — so a message is
// a template id and its parameters, never free text.

/** The templates the gateway may send. Adding one = an entry here and in SMS_TEMPLATE_TEXT. */
export const SMS_TEMPLATES = ['sign_in_code', 'correction_needed', 'application_completed', 'ops_escalation'] as const;
export const SmsTemplate = z.enum(SMS_TEMPLATES).meta({ id: 'SmsTemplate' });
export type SmsTemplate = z.infer<typeof SmsTemplate>;

/** Digits in a sign-in code. */
export const SIGN_IN_CODE_DIGITS = 6;
export const SignInCode = z
  .string()
  .regex(new RegExp(`^\\d{${SIGN_IN_CODE_DIGITS}}$`), `The code is the ${SIGN_IN_CODE_DIGITS} digits of the text message`)
  .meta({ id: 'SignInCode' });

const ApplicationNotice = z.strictObject({
  companyName: z.string().min(1).max(100),
  applicationId: z.string().min(1).max(64),
});

/** Why ops escalate a step to a department's contact (fixed phrases: a template carries no free text). */
export const ESCALATION_SITUATIONS = ['需人工处理', '已超过办理时限', '临近办理时限', '需要协助'] as const;

/** Each template's parameters. */
export const SMS_TEMPLATE_PARAMETERS = {
  sign_in_code: z.strictObject({ code: SignInCode, validMinutes: z.number().int().min(1).max(60) }),
  correction_needed: ApplicationNotice,
  application_completed: ApplicationNotice,
  ops_escalation: ApplicationNotice.extend({ step: z.string().min(1).max(20), situation: z.enum(ESCALATION_SITUATIONS) }),
} as const satisfies Record<SmsTemplate, z.ZodType>;

/** The registered text of each template; {name} is replaced by the parameter of that name. */
export const SMS_TEMPLATE_TEXT: Readonly<Record<SmsTemplate, string>> = {
  sign_in_code: '【全链通】您的登录验证码是{code}，{validMinutes}分钟内有效。请勿将验证码告诉他人；如非本人操作，请忽略本短信。',
  correction_needed:
    '【全链通】您提交的“{companyName}”开办申请需要补正：请用本手机号登录企业开办服务，在“我的申请”中查看部门的补正意见，只改需要更正的内容后提交（申请编号 {applicationId}）。补正期间办理时限暂停计算。',
  application_completed:
    '【全链通】“{companyName}”企业开办已全部办结：请用本手机号登录企业开办服务，在“我的申请”中查看营业执照、印章、发票、社保、银行账户和寄递结果，打印办结通知书，并对本次服务作出评价（申请编号 {applicationId}）。',
  ops_escalation: '【全链通】政务服务中心提请协办：“{companyName}”企业开办申请（编号 {applicationId}）的{step}环节{situation}，请尽快处理并回复服务中心。',
};

/**
 * The same templates in English, for a deployment or a recipient that asks for English (the
 * registered text the carrier sends is SMS_TEMPLATE_TEXT; this keeps both wordings in one place).
 */
export const SMS_TEMPLATE_TEXT_EN: Readonly<Record<SmsTemplate, string>> = {
  sign_in_code: '[Quanliantong] Your sign-in code is {code}, valid for {validMinutes} minutes. Do not tell anyone this code; if you did not ask for it, ignore this message.',
  correction_needed:
    '[Quanliantong] Your application to open “{companyName}” needs a correction: sign in to the business-opening service with this number, read the department’s reasons under “My applications”, change only what they ask for and send it (application {applicationId}). The time limit is paused meanwhile.',
  application_completed:
    '[Quanliantong] Everything for “{companyName}” is done: sign in with this number to see the business licence, seals, invoices, social insurance, bank account and delivery under “My applications”, print the completion notice and rate the service (application {applicationId}).',
  ops_escalation: '[Quanliantong] The service centre asks for your help: the {step} step of the application to open “{companyName}” (application {applicationId}) {situation}; please deal with it and reply to the service centre.',
};

export type SmsParameters<T extends SmsTemplate> = z.infer<(typeof SMS_TEMPLATE_PARAMETERS)[T]>;

/** The text a template produces with its parameters (what the recipient reads). */
export function renderSmsText<T extends SmsTemplate>(template: T, parameters: SmsParameters<T>, language: 'zh' | 'en' = 'zh'): string {
  return (language === 'en' ? SMS_TEMPLATE_TEXT_EN : SMS_TEMPLATE_TEXT)[template].replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = (parameters as Record<string, unknown>)[name];
    return value === undefined ? whole : String(value);
  });
}

const MessageId = z.string().regex(/^[A-Za-z0-9_:-]{8,128}$/, 'A message id is 8–128 letters, digits, "-", "_" or ":"');
const variant = <T extends SmsTemplate>(template: T) =>
  z.strictObject({
    messageId: MessageId.describe('Chosen by the gateway, unique per message: the service sends a repeated id once'),
    recipient: MobileNumber,
    template: z.literal(template),
    parameters: SMS_TEMPLATE_PARAMETERS[template],
  });

/** Body of POST {sms}/messages. */
export const SmsSendRequest = z
  .discriminatedUnion('template', [variant('sign_in_code'), variant('correction_needed'), variant('application_completed'), variant('ops_escalation')])
  .meta({ id: 'SmsSendRequest' });
export type SmsSendRequest = z.infer<typeof SmsSendRequest>;
/** A message before the gateway gives it its id. */
export type SmsMessage = SmsSendRequest extends infer M ? (M extends SmsSendRequest ? Omit<M, 'messageId'> : never) : never;

/** The answer to POST {sms}/messages: 202 Accepted (queued for delivery to the carrier). */
export const SmsSendAnswer = z
  .object({ messageId: z.string(), acceptedAt: z.iso.datetime({ offset: true }) })
  .meta({ id: 'SmsSendAnswer' });
export type SmsSendAnswer = z.infer<typeof SmsSendAnswer>;

export const SMS_MESSAGES_PATH = '/messages';
