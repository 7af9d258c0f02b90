// Loopback addresses where nothing listens, for "connection refused" tests.
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `http://127.0.0.1:<free port>` */
export async function freePortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
