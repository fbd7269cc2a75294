// npm run conformance -- --step <id> --url <department base URL> --secret <callback secret>
//
// Checks a live department endpoint against the department protocol (test/conformance/kit.ts)
// and prints one PASS/FAIL/SKIP line per check, then "N passed, M failed". Exit code 0 when
// nothing failed, 1 when a check failed, 2 when the arguments are wrong or the kit cannot run.

import { parseArgs } from 'node:util';
import { STEP_IDS, StepId } from '../../contracts/index.ts';
import { runConformance, summarise } from './kit.ts';

const USAGE = `Usage: npm run conformance -- --step <step> --url <department base URL> --secret <callback secret> [options]

  --step <step>                one of ${STEP_IDS.join(', ')}
  --url <url>                  the department base URL; the kit calls <url>/requests and <url>/requests/<reference>
  --secret <secret>            the callback-signing secret shared with the gateway
  --callback-timeout <s>       seconds a final callback may take after 202 accepted (default 10)
  --request-timeout <s>        seconds per HTTP call (default 10)
  --max-skew <s>               allowed x-department-timestamp skew in seconds (default 300)
  --callback-host <host>       where the kit's callback receiver listens (default 127.0.0.1)
  --callback-port <port>       its port (default 0: any free port)
  --callback-public-url <url>  the receiver's URL as the department reaches it (default http://<host>:<port>)
  -h, --help                   this text`;

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(message ? 2 : 0);
}

function seconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) usage(`--${name} must be a positive number of seconds, got "${value}"`);
  return parsed * 1000;
}

function readArgs() {
  try {
    return parseArgs({
      options: {
        step: { type: 'string' },
        url: { type: 'string' },
        secret: { type: 'string' },
        'callback-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'max-skew': { type: 'string' },
        'callback-host': { type: 'string' },
        'callback-port': { type: 'string' },
        'callback-public-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usage((error as Error).message);
  }
}

const values = readArgs();
if (values.help) usage();
const step = StepId.safeParse(values.step);
if (!step.success) usage(values.step === undefined ? 'Missing --step' : `Unknown step "${values.step}"`);
if (!values.url) usage('Missing --url');
if (!URL.canParse(values.url)) usage(`--url is not a URL: "${values.url}"`);
if (!values.secret) usage('Missing --secret');
const port = values['callback-port'] === undefined ? undefined : Number(values['callback-port']);
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) usage('--callback-port must be a port number');
const maxSkew = seconds('max-skew', values['max-skew']);

const options = {
  step: step.data,
  url: values.url,
  secret: values.secret,
  log: (line: string) => process.stdout.write(`${line}\n`),
  requestTimeoutMs: seconds('request-timeout', values['request-timeout']),
  callbackTimeoutMs: seconds('callback-timeout', values['callback-timeout']),
  maxSkewSeconds: maxSkew === undefined ? undefined : maxSkew / 1000,
  callbackHost: values['callback-host'],
  callbackPort: port,
  callbackPublicUrl: values['callback-public-url'],
};

try {
  const summary = summarise(await runConformance(options));
  process.stdout.write(`${summary.line}\n`);
  process.exitCode = summary.failed > 0 ? 1 : 0;
} catch (error) {
  // The kit itself could not run (e.g. the callback port is taken): not a verdict on the department.
  process.stderr.write(`The conformance kit could not run: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
