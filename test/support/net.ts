// Loopback ports for servers a test starts in another process (whose URL it must know up front).
import { createServer } from 'node:net';

/**
 * A port that was free on 127.0.0.1 a moment ago: listens on port 0 and closes. Another process
 * may take it before ours binds it; callers that cannot tolerate that retry with a new port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
