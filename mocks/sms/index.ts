// The mock SMS service (短信平台): speaks contracts/sms.ts like a real provider's gateway would,
// authenticates the gateway like a mock department does (../kit/gateway-auth.ts), and — being a
// mock — keeps every message it was asked to send and shows them at GET /_mock/messages, so tests
// and a developer running `npm start` can read the sign-in code they were sent. Nothing is
// delivered to a phone.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SMS_MESSAGES_PATH, SmsSendRequest, issuesToDetails, renderSmsText, type SmsSendAnswer, type SmsTemplate } from '../../contracts/index.ts';
import { chinaDate } from '../kit/department-server.ts';
import { createGatewayAuth } from '../kit/gateway-auth.ts';

export interface MockSmsOptions {
  /** Shared with the gateway (SMS_SECRET): its requests must be signed with it. */
  secret: string;
  /** During a change-over, the other secret still accepted. */
  previousSecret?: string;
  maxSkewSeconds?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  clock?: () => Date;
  logger?: FastifyBaseLogger;
}

/** One message the gateway asked the service to send. */
export interface SentSms {
  /** The service's own id (what it answered). */
  id: string;
  /** The gateway's message id. */
  messageId: string;
  recipient: string;
  template: SmsTemplate;
  parameters: Record<string, unknown>;
  /** The text the recipient would read. */
  text: string;
  receivedAt: string;
}

const Behaviour = z.strictObject({
  /** Answer every message with this HTTP status (500, 503 or 429) instead of accepting it; null to accept. */
  failWith: z.union([z.literal(500), z.literal(503), z.literal(429)]).nullable().default(null),
});
export type MockSmsBehaviour = z.infer<typeof Behaviour>;

export interface MockSms {
  /** Base URL; the service endpoint is `${url}/messages`. */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Every message accepted, oldest first; only those to `recipient` when given. */
  messages(recipient?: string): SentSms[];
  setBehaviour(input: Partial<MockSmsBehaviour>): MockSmsBehaviour;
  reset(): void;
  close(): Promise<void>;
}

export async function startMockSms(options: MockSmsOptions): Promise<MockSms> {
  const clock = options.clock ?? (() => new Date());
  const host = options.host ?? '127.0.0.1';
  const secrets = options.previousSecret ? [options.secret, options.previousSecret] : [options.secret];
  const auth = createGatewayAuth({ secrets, clock, ...(options.maxSkewSeconds !== undefined ? { maxSkewSeconds: options.maxSkewSeconds } : {}) });
  let sent: SentSms[] = [];
  const byMessageId = new Map<string, SentSms>();
  let behaviour: MockSmsBehaviour = Behaviour.parse({});
  let seq = 0;

  const app: FastifyInstance = options.logger
    ? Fastify({ loggerInstance: options.logger.child({ mock: 'sms' }), forceCloseConnections: true })
    : Fastify({ logger: false, forceCloseConnections: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as FastifyRequest & { rawBody?: string }).rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, undefined);
    }
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}; the SMS service serves POST /messages.` }));

  app.get('/health', async () => ({ status: 'ok', service: 'sms' }));

  app.post(SMS_MESSAGES_PATH, async (request, reply) => {
    const checked = auth.check(request.headers, (request as FastifyRequest & { rawBody?: string }).rawBody ?? '');
    if (!checked.ok) return reply.code(checked.status).send(checked.body);
    if (behaviour.failWith !== null) {
      return reply.code(behaviour.failWith).send({ code: 'SMS_SERVICE_UNAVAILABLE', message: 'Injected fault: the SMS service is unavailable. Try again later.' });
    }
    const parsed = SmsSendRequest.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ code: 'SMS_REQUEST_INVALID', message: 'The message is invalid; correct the fields listed in details.', details: issuesToDetails(parsed.error.issues) });
    }
    const message = parsed.data;
    // A repeated message id is the same message: answered again, sent once.
    const existing = byMessageId.get(message.messageId);
    const now = clock();
    const record =
      existing ??
      ({
        id: `SMS${chinaDate(now)}${String(++seq).padStart(8, '0')}`,
        messageId: message.messageId,
        recipient: message.recipient,
        template: message.template,
        parameters: message.parameters,
        text: renderSmsText(message.template, message.parameters as never),
        receivedAt: now.toISOString(),
      } satisfies SentSms);
    if (!existing) {
      sent.push(record);
      byMessageId.set(message.messageId, record);
    }
    const answer: SmsSendAnswer = { messageId: record.id, acceptedAt: record.receivedAt };
    return reply.code(202).send(answer);
  });

  // ── control routes: mocks only ──────────────────────────────────────────────────────────────
  app.get<{ Querystring: { recipient?: string } }>('/_mock/messages', async (request) => {
    const recipient = request.query.recipient;
    return recipient === undefined ? sent : sent.filter((m) => m.recipient === recipient);
  });
  app.get('/_mock/behaviour', async () => behaviour);
  app.put('/_mock/behaviour', async (request, reply) => {
    const parsed = Behaviour.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ code: 'MOCK_BEHAVIOUR_INVALID', message: 'The behaviour document is invalid; correct the fields listed in details.', details: issuesToDetails(parsed.error.issues) });
    }
    behaviour = parsed.data;
    return behaviour;
  });
  app.post('/_mock/reset', async (_request, reply) => {
    reset();
    return reply.code(204).send();
  });

  function reset(): void {
    sent = [];
    byMessageId.clear();
    behaviour = Behaviour.parse({});
    auth.reset();
  }

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    app,
    messages: (recipient) => (recipient === undefined ? [...sent] : sent.filter((m) => m.recipient === recipient)),
    setBehaviour(input) {
      behaviour = Behaviour.parse(input);
      return behaviour;
    },
    reset,
    close: async () => {
      await app.close();
    },
  };
}
