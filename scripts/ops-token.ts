// npm run ops:token -- --name <name> --role <viewer|operator|admin>
//
// Makes a new ops credential for the configuration (docs/operations.md "Access"): prints the token
// (give it to its holder; it is shown here only) and the OPS_CREDENTIALS entry that names it by its
// SHA-256, so the configuration never holds a usable secret. Credentials created by admins through
// POST /v1/ops/credentials need no configuration at all; this is for the first admin (bootstrap).

import { parseArgs } from 'node:util';
import { OpsCredentialName, OpsRole } from '../contracts/index.ts';
import { opsTokenSha256 } from '../gateway/config.ts';
import { issueToken } from '../gateway/identity/index.ts';

function usage(message: string): never {
  process.stderr.write(`${message}\nUsage: npm run ops:token -- --name <name> --role <viewer|operator|admin>\n`);
  process.exit(2);
}

let values: { name?: string; role?: string };
try {
  values = parseArgs({ options: { name: { type: 'string' }, role: { type: 'string' } }, strict: true }).values;
} catch (error) {
  usage((error as Error).message);
}
const name = OpsCredentialName.safeParse(values.name);
if (!name.success) usage(`--name: ${name.error.issues[0]?.message ?? 'missing'}`);
const role = OpsRole.safeParse(values.role);
if (!role.success) usage('--role is viewer, operator or admin');

const token = issueToken('ops');
process.stdout.write(
  [
    `token (give it to ${name.data}; it is not stored anywhere):`,
    `  ${token}`,
    'OPS_CREDENTIALS entry (comma-separate several):',
    `  ${name.data}:${role.data}:${opsTokenSha256(token)}`,
    '',
  ].join('\n'),
);
