// A throwaway self-signed certificate for 127.0.0.1/localhost, made with openssl, for tests of
// STARTTLS and implicit TLS against a local SMTP server. Made once per process, in a temp dir
// that is removed when the process exits.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A key and certificate pair (PEM); `certPath` suits NODE_EXTRA_CA_CERTS. */
export interface TestCertificate {
  key: string;
  cert: string;
  certPath: string;
}

let made: Promise<TestCertificate> | undefined;

/** The process's test certificate, valid for localhost and 127.0.0.1 for two days. */
export function testCertificate(): Promise<TestCertificate> {
  made ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aami-relay-cert-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8'), certPath };
  })();
  return made;
}
