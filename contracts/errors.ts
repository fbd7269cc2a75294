import { z } from 'zod';
import type { Localized } from './messages.ts';

// ONE error shape for every 4xx/5xx the gateway (and every department contract) returns.
// Codes are strings, stable, never reused (docs/style.md §5). Messages tell a person what to do next,
// in English and Chinese: the gateway answers in the language of the request's Accept-Language.

export const FieldIssue = z
  .object({
    path: z.string().describe('Dotted path of the offending field, e.g. "legalRepresentative.idNumber"'),
    message: z.string(),
  })
  .meta({ id: 'FieldIssue' });
export type FieldIssue = z.infer<typeof FieldIssue>;

/** One entry of an error's `details`: a field, the rule it broke (stable), and what to do. */
export const ErrorDetail = z
  .object({
    path: z.string().describe('Dotted path of the offending field, e.g. "legalRepresentative.idNumber"'),
    code: z
      .string()
      .optional()
      .describe('Stable machine code of the rule, e.g. "too_small", "required", "resident_id.birth_date" (always present in the gateway\'s answers)'),
    message: z.string().describe('What is wrong with the field and what to do, in the negotiated language'),
  })
  .meta({ id: 'ErrorDetail' });
export type ErrorDetail = z.infer<typeof ErrorDetail>;

export const ErrorBody = z
  .object({
    code: z.string().describe('Stable machine-readable code, see docs/errors.md'),
    message: z.string().describe('What went wrong and what to do next (English, or Chinese with Accept-Language: zh-CN)'),
    details: z.array(ErrorDetail).optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export interface ErrorDefinition {
  readonly status: number;
  readonly message: Localized;
}

/** The catalogue. Every code here is documented in docs/errors.md (a test keeps the two in step). */
export const ERRORS = {
  APPLICATION_INVALID: {
    status: 400,
    message: {
      en: 'The application has invalid fields; correct the fields listed in details and submit again.',
      zh: '申请中有填写不正确的内容，请按提示逐项更正后重新提交。',
    },
  },
  REQUEST_INVALID: {
    status: 400,
    message: { en: 'The request is malformed; correct the fields listed in details.', zh: '请求内容不正确，请按提示逐项更正。' },
  },
  REQUEST_MALFORMED: {
    status: 400,
    message: {
      en: 'The HTTP request could not be understood (its URL, headers or framing are malformed); check the client that sent it.',
      zh: '无法解析该请求（网址、请求头或报文格式有误），请检查发送请求的程序。',
    },
  },
  BODY_NOT_JSON: {
    status: 400,
    message: {
      en: 'The request body is not valid JSON; send a JSON document with Content-Type: application/json.',
      zh: '请求内容不是有效的 JSON，请以“application/json”格式发送。',
    },
  },
  BODY_ENCODING_INVALID: {
    status: 400,
    message: {
      en: 'The request body is not valid UTF-8 text; send JSON encoded as UTF-8.',
      zh: '请求内容不是有效的“UTF-8”文本，请以“UTF-8”编码发送 JSON。',
    },
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: { en: 'Send the body as application/json.', zh: '请以“application/json”格式发送请求内容。' },
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: { en: 'The request body is too large; applications are at most 1 MiB.', zh: '请求内容过大，申请不能超过 1 MiB。' },
  },
  URL_TOO_LONG: {
    status: 414,
    message: { en: 'A part of the URL is too long; check the id in the URL.', zh: '网址中的某一段过长，请检查网址中的编号。' },
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: { en: 'The request headers are too large; send fewer or shorter headers.', zh: '请求头过大，请减少或缩短请求头。' },
  },
  REQUEST_TIMEOUT: {
    status: 408,
    message: {
      en: 'The request was not received in time (the body arrived too slowly); send it again in one go.',
      zh: '未能在规定时间内收到完整请求（发送过慢），请重新发送。',
    },
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    message: {
      en: 'The Idempotency-Key header must be 8–128 characters of letters, digits, "-", "_" or ":".',
      zh: '请求头“Idempotency-Key”应为 8–128 位字母、数字或“-”“_”“:”。',
    },
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    message: {
      en: 'This Idempotency-Key was already used for a different application; use a new key for a new application.',
      zh: '该“Idempotency-Key”已用于另一份申请，新的申请请使用新的键。',
    },
  },
  APPLICATION_NOT_FOUND: {
    status: 404,
    message: { en: 'No application has this id; check the id returned when you submitted.', zh: '没有该编号的申请，请核对提交时返回的申请编号。' },
  },
  APPLICATION_GONE: {
    status: 410,
    message: {
      en: "This application's personal data is no longer available to departments (it was withdrawn, or completed longer ago than the retention period); ask the service centre if you still need it.",
      zh: '该申请的个人信息已不再向部门提供（申请已撤回，或办结已超过保存期限）；如仍需要，请联系政务服务中心。',
    },
  },
  CORRECTION_NOT_EXPECTED: {
    status: 409,
    message: {
      en: 'No department is waiting for a correction on this application; check its status first.',
      zh: '目前没有部门要求补正该申请，请先查看办理进度。',
    },
  },
  CORRECTION_INVALID: {
    status: 400,
    message: {
      en: 'The corrected fields are invalid; correct the fields listed in details and send the correction again.',
      zh: '补正内容有误，请按提示逐项更正后重新提交补正。',
    },
  },
  WITHDRAWAL_NOT_ALLOWED: {
    status: 409,
    message: {
      en: 'The application can no longer be withdrawn: the business licence has been issued (or the application has ended). Contact the service centre to deregister.',
      zh: '该申请已无法撤回：营业执照已核发（或申请已结束）。如需注销，请联系政务服务中心。',
    },
  },
  STEP_UNKNOWN: {
    status: 404,
    message: { en: 'No such step; valid steps are listed in GET /openapi.json.', zh: '没有该办理环节，可用的环节见接口文档（GET /openapi.json）。' },
  },
  STEP_NOT_RETRYABLE: {
    status: 409,
    message: {
      en: 'The step is not waiting for attention; only steps in needs_attention can be retried.',
      zh: '该环节无需人工处理，只有处于“needs_attention”状态的环节可以重试。',
    },
  },
  CALLBACK_SIGNATURE_INVALID: {
    status: 401,
    message: {
      en: 'The callback signature is missing or wrong; sign timestamp + "." + body with HMAC-SHA256 and the department secret (see docs/departments.md).',
      zh: '回调签名缺失或错误，请用部门密钥对“时间戳.请求内容”做“HMAC-SHA256”签名（见部门接入文档）。',
    },
  },
  CALLBACK_STALE: {
    status: 401,
    message: {
      en: 'The callback timestamp is outside the accepted clock skew; check the sender clock and send a fresh callback.',
      zh: '回调时间戳超出允许的时间偏差，请校准发送方时钟后重新发送。',
    },
  },
  CALLBACK_REPLAYED: {
    status: 401,
    message: {
      en: 'A callback with this event id was already received; send each event once with a new event id.',
      zh: '已收到过相同事件编号的回调，每个事件请只发送一次并使用新的事件编号。',
    },
  },
  CALLBACK_STEP_FORBIDDEN: {
    status: 403,
    message: { en: 'A department may act only on its own step; check the step in the URL.', zh: '部门只能处理本部门的环节，请检查网址中的环节。' },
  },
  CALLBACK_UNKNOWN_REQUEST: {
    status: 404,
    message: {
      en: 'The callback does not match any request this gateway sent; check the applicationId and idempotencyKey.',
      zh: '该回调与本系统发出的任何请求都不对应，请检查“applicationId”和“idempotencyKey”。',
    },
  },
  DEPARTMENT_DATA_NOT_READY: {
    status: 409,
    message: {
      en: "This department's data is not ready yet: the steps it builds on have not finished. Ask again once your step has been requested.",
      zh: '本部门所需的数据尚未就绪（前置环节尚未办结），请在收到本环节的办理请求后再查询。',
    },
  },
  CALENDAR_INVALID: {
    status: 400,
    message: { en: 'The calendar document is invalid; correct the fields listed in details.', zh: '日历文档有误，请按提示逐项更正。' },
  },
  CALENDAR_YEAR_NOT_LOADED: {
    status: 404,
    message: {
      en: 'No schedule is loaded for this year; deadlines in it are provisional until ops load it with PUT /v1/ops/calendar/{year}.',
      zh: '尚未载入该年度的节假日安排，该年度的时限均为暂定，需由运维通过“PUT /v1/ops/calendar/{year}”载入。',
    },
  },
  OPS_UNAUTHORIZED: {
    status: 401,
    message: {
      en: 'Ops endpoints need Authorization: Bearer <ops credential>; the credential is missing, unknown or revoked. Ask the service centre administrator for one.',
      zh: '运维接口需要请求头“Authorization: Bearer <运维凭证>”；凭证缺失、无效或已吊销，请向政务服务中心管理员申请。',
    },
  },
  RATE_LIMITED: {
    status: 429,
    message: {
      en: 'Too many requests from this client; wait for the number of seconds in the Retry-After header, then try again.',
      zh: '请求过于频繁，请等待“Retry-After”响应头所示的秒数后再试。',
    },
  },
  TOO_MANY_EVENT_STREAMS: {
    status: 429,
    message: {
      en: 'Too many live event streams are open (for this application or from this client); close one you no longer watch, or read the status with GET /v1/applications/{id}.',
      zh: '同时打开的实时进度连接过多（针对该申请或来自该客户端），请关闭不再查看的页面，或改用“GET /v1/applications/{id}”查询进度。',
    },
  },
  WITHDRAWAL_LICENCE_IN_PROGRESS: {
    status: 409,
    message: {
      en: 'The business licence request is with the market regulator, which may still issue it; withdraw again once it has answered (see Retry-After). Once a licence is issued the application can no longer be withdrawn.',
      zh: "营业执照申请正在市场监管部门办理中，仍可能核发执照；请在其答复后再撤回（响应头“Retry-After”给出建议等待的秒数）。执照一经核发，申请即不能撤回。",
    },
  },
  OPS_FORBIDDEN: {
    status: 403,
    message: {
      en: "Your ops credential's role ({role}) does not allow this; it needs the {needed} role. Ask an administrator for a credential with that role (see docs/operations.md).",
      zh: "您的运维凭证角色（{role}）无权执行此操作，需要“{needed}”角色，请向管理员申请具有相应角色的凭证（见运维文档）。",
    },
  },
  OPS_CREDENTIAL_EXISTS: {
    status: 409,
    message: {
      en: 'An ops credential with this name exists or existed; names are never reused (the audit log refers to them). Choose another name.',
      zh: "该名称的运维凭证已存在或曾经存在；名称不得重复使用（审计日志引用它们），请换一个名称。",
    },
  },
  OPS_CREDENTIAL_NOT_FOUND: {
    status: 404,
    message: {
      en: 'No ops credential has this name; list them with GET /v1/ops/credentials.',
      zh: "没有该名称的运维凭证，可用“GET /v1/ops/credentials”查看全部凭证。",
    },
  },
  OPS_CREDENTIAL_FROM_CONFIG: {
    status: 409,
    message: {
      en: 'This credential comes from the configuration (OPS_CREDENTIALS / OPS_ADMIN_TOKEN); remove it there and restart the gateway.',
      zh: "该凭证来自配置（“OPS_CREDENTIALS”或“OPS_ADMIN_TOKEN”），请在配置中删除并重启网关。",
    },
  },
  APPLICANT_UNAUTHENTICATED: {
    status: 401,
    message: {
      en: 'Sign in again: the session has expired or was signed out, or the token is not an applicant credential.',
      zh: "请重新登录：登录已过期或已退出，或所用令牌不是申请人凭证。",
    },
  },
  SIGN_IN_CODE_INVALID: {
    status: 401,
    message: {
      en: 'The code is wrong, already used or expired (each code allows a few attempts); check the text message, or request a new code.',
      zh: "验证码错误、已使用或已过期（每个验证码只能尝试几次）；请核对短信，或重新获取验证码。",
    },
  },
  SIGN_IN_RATE_LIMITED: {
    status: 429,
    message: {
      en: 'Too many codes were requested for this mobile number; wait for the number of seconds in Retry-After, then request a new code.',
      zh: "该手机号获取验证码过于频繁，请等待“Retry-After”所示的秒数后再获取。",
    },
  },
  SMS_UNAVAILABLE: {
    status: 503,
    message: {
      en: 'The text message could not be sent; try again in a minute.',
      zh: "短信未能发送，请一分钟后再试。",
    },
  },
  ESCALATION_NO_CONTACT: {
    status: 409,
    message: {
      en: 'No contact is configured for this department, so there is no one to escalate to; add its duty contacts to DEPARTMENT_CONTACTS and restart, or call the department.',
      zh: '该部门未配置联系人，无法升级提醒；请在“DEPARTMENT_CONTACTS”中配置其值班联系人并重启，或直接电话联系该部门。',
    },
  },
  CURSOR_INVALID: {
    status: 400,
    message: {
      en: 'The cursor is not one this list gave out (or the filters changed); start again from the first page without ?cursor=.',
      zh: '翻页游标无效（或筛选条件已改变），请去掉“cursor”参数从第一页重新开始。',
    },
  },
  SIMULATION_INVALID: {
    status: 400,
    message: {
      en: 'The simulation request is invalid; correct the scenario fields listed in details (docs/simulation.md describes them).',
      zh: '模拟请求有误，请按提示逐项更正情景中的字段（字段说明见模拟文档）。',
    },
  },
  SIMULATION_TOO_LARGE: {
    status: 422,
    message: {
      en: 'The scenario would simulate about {expected} applications; one run takes at most {max}. Shorten the period or lower the arrivals.',
      zh: '该情景约需模拟 {expected} 件申请，单次最多 {max} 件，请缩短模拟期或降低申请量。',
    },
  },
  SIMULATION_BUSY: {
    status: 429,
    message: {
      en: 'A simulation is already running on this gateway; wait for it to finish (GET /v1/ops/simulations/{id}), then start yours.',
      zh: '本网关已有一个模拟正在运行，请等待其完成（“GET /v1/ops/simulations/{id}”）后再发起。',
    },
  },
  SIMULATION_NOT_FOUND: {
    status: 404,
    message: {
      en: 'No simulation has this id on this gateway (results are kept in memory for the last few runs, until a restart); run it again.',
      zh: '本网关没有该编号的模拟（仅在内存中保留最近几次结果，重启后清空），请重新运行。',
    },
  },
  // ── the applicant's portal (drafts, name pre-check, ratings) ──
  NAME_CHECK_UNAVAILABLE: {
    status: 503,
    message: {
      en: "The market regulator's name check does not answer right now; go on filling in the form and check the name again in a minute (it is checked again when the licence is applied for).",
      zh: '市场监管部门的名称查重服务暂时无法访问，您可以继续填写，稍后再查（申请营业执照时还会再次核查名称）。',
    },
  },
  DRAFT_NOT_FOUND: {
    status: 404,
    message: { en: 'You have no draft with this id; open your drafts from "my applications".', zh: '没有该草稿，请从“我的申请”中打开草稿。' },
  },
  DRAFT_ALREADY_SUBMITTED: {
    status: 409,
    message: {
      en: 'This draft has already been submitted as application {applicationId}; it cannot be changed or submitted again. Open the application to follow it.',
      zh: '该草稿已提交（申请编号 {applicationId}），不能再修改或重复提交，请打开该申请查看办理进度。',
    },
  },
  DRAFT_LIMIT_REACHED: {
    status: 409,
    message: {
      en: 'You have {limit} drafts already; submit or delete one before starting another.',
      zh: '您已有 {limit} 份草稿，请先提交或删除其中一份再新建。',
    },
  },
  RATING_NOT_OPEN: {
    status: 409,
    message: {
      en: 'The service can be rated once the application is completed or withdrawn.',
      zh: '申请办结或撤回后才能评价。',
    },
  },
  RATING_ALREADY_GIVEN: {
    status: 409,
    message: {
      en: 'This application (or this department on it) has already been rated; each rating is given once.',
      zh: '该申请（或该部门）已经评价过，每项只能评价一次。',
    },
  },
  RATING_NOT_FOUND: {
    status: 404,
    message: { en: 'No rating of this application and department; list them with GET /v1/ops/ratings.', zh: '没有该申请和部门的评价，可用“GET /v1/ops/ratings”查看评价。' },
  },
  NOT_FOUND: {
    status: 404,
    message: { en: 'No such route; see GET /docs for the API.', zh: '没有该接口，接口说明见“GET /docs”。' },
  },
  NOT_READY: {
    status: 503,
    message: { en: 'The gateway is starting or stopping; try again in a few seconds.', zh: '系统正在启动或停止，请几秒钟后再试。' },
  },
  INTERNAL: {
    status: 500,
    message: {
      en: 'Something went wrong on our side; it has been logged. Try again, and contact the service centre with the request id if it persists.',
      zh: '系统内部出错，已记录。请重试；如问题持续，请携带请求编号（x-request-id）联系政务服务中心。',
    },
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;
export const ErrorCodeSchema = z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]);

/** Alternative wordings of a code for a particular cause (same code, same status). `{name}` is interpolated. */
export const ERROR_VARIANTS = {
  store_unavailable: {
    code: 'NOT_READY',
    message: { en: 'The store does not answer; try again in a few seconds.', zh: '数据存储暂时无法访问，请几秒钟后再试。' },
  },
  callback_result_invalid: {
    code: 'REQUEST_INVALID',
    message: {
      en: 'The callback result does not match the step contract; correct the fields listed in details.',
      zh: '回调结果不符合本环节的接口约定，请按提示逐项更正。',
    },
  },
  charset_not_utf8: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: {
      en: 'JSON is always UTF-8 (RFC 8259); send Content-Type: application/json with no charset, or charset=utf-8.',
      zh: 'JSON 一律使用“UTF-8”编码（RFC 8259），请发送“Content-Type: application/json”，不带字符集或使用“charset=utf-8”。',
    },
  },
  gone_withdrawn: {
    code: 'APPLICATION_GONE',
    message: {
      en: 'This application was withdrawn; its personal data is no longer available to departments.',
      zh: '该申请已撤回，其个人信息已不再向部门提供。',
    },
  },
  gone_retention: {
    code: 'APPLICATION_GONE',
    message: {
      en: 'This application was completed more than {days} days ago; its personal data is no longer available to departments.',
      zh: '该申请办结已超过 {days} 天，其个人信息已不再向部门提供。',
    },
  },
} as const satisfies Record<string, { code: ErrorCode; message: Localized }>;
export type ErrorVariant = keyof typeof ERROR_VARIANTS;

export { issuesToDetails } from './messages.ts';
