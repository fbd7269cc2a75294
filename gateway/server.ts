// Production entry point: configuration from the environment, listen, graceful shutdown.
// SIGTERM/SIGINT: stop taking requests and work, finish or release what is claimed, exit.

import { configFromEnv } from './config.ts';
import { createGateway } from './runtime.ts';

const config = configFromEnv(process.env);
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
