// Production entry point: configuration from the environment, listen, graceful shutdown.
// SIGTERM/SIGINT: stop taking requests and work, finish or release what is claimed, exit.
//
// Fails closed: without an ops admin credential, a secret for every enabled department, the
// identity key and the SMS service it does not start, and says in one message everything that is
// missing (exit code 78, EX_CONFIG). There is no open mode; `npm start` (gateway/dev.ts) is the
// development entry with public development credentials.

import { ConfigError, configFromEnv, type GatewayConfig } from './config.ts';
import { createGateway } from './runtime.ts';

/** sysexits.h EX_CONFIG: "something was found in an unconfigured or misconfigured state". */
const EX_CONFIG = 78;

let config: GatewayConfig;
try {
  config = configFromEnv(process.env, { production: true });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\nThe gateway did not start (see docs/operations.md "Running it").\n`);
  process.exit(EX_CONFIG);
}
const gateway = await createGateway(config);
const url = await gateway.start();
gateway.deps.log.info({ url, store: gateway.store.kind }, 'gateway listening');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    gateway.deps.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.deps.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
