import { pino, type DestinationStream, type Logger } from 'pino';

// Personal data (identity numbers, mobile numbers) never appears whole in logs (docs/design.md). The
// gateway logs identifiers, not forms; these redaction paths are the safety net for anything that
// slips through — at the levels of nesting our documents have.
const PERSONAL = ['idNumber', 'mobile'];
export const REDACT_PATHS = PERSONAL.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`, `*.*.*.*.${key}`]);

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'quanliantong-gateway' },
      // Credentials never reach a log line either: bearer tokens, signatures (docs/security.md "Logs").
      redact: {
        paths: [...REDACT_PATHS, 'req.headers.authorization', 'req.headers["x-department-signature"]', 'req.headers["x-gateway-signature"]'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
