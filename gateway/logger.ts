import { pino, type DestinationStream, type Logger } from 'pino';

// Personal data (identity numbers, mobile numbers) never appears whole in logs (docs/design.md). The
// gateway logs identifiers, not forms; these redaction paths are the safety net for anything that
// slips through — at the levels of nesting our documents have.
const PERSONAL = ['idNumber', 'mobile'];
export const REDACT_PATHS = PERSONAL.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`, `*.*.*.*.${key}`]);

/**
 * The gateway's logger: JSON lines on stdout. Buffered (written in blocks of at least 4 KiB, and
 * flushed when the process exits or stops gracefully) rather than one write per line: a line per
 * write cost a system call per log line, a tenth of the gateway's CPU under load. A process killed
 * with SIGKILL loses at most the last 4 KiB of log lines; nothing of the applications.
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  let destination = options.destination;
  if (!destination) {
    const buffered = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    // …and at least four times a second, so that a quiet gateway's lines are not held back.
    setInterval(() => buffered.flush(), 250).unref();
    destination = buffered;
  }
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
    destination,
  );
}
