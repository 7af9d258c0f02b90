// Starts an AAMI service (node services/<name>/src/main.ts) on a free loopback port for the Web UI
// tests. Services learn their port differently: most read a port variable, the rule compiler and
// the install-worker also (or only) their own URL variable; both are set.
import { freePort, httpOk, makeTempDir, startDaemon } from '../harness/daemon.ts';
import { HARNESS_SERVICE_TOKEN, REPO_ROOT, type AamiService } from '../harness/aami-service.ts';

export async function startServiceOnFreePort(name: string, portEnv: string, urlEnv: string | undefined, env: NodeJS.ProcessEnv): Promise<AamiService> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = await makeTempDir(name);
  const daemon = await startDaemon({
    name,
    command: process.execPath,
    args: [`${REPO_ROOT}services/${name}/src/main.ts`],
    dir,
    env: { ...process.env, AAMI_BIND: '127.0.0.1', AAMI_LOG_LEVEL: 'warn', AAMI_SERVICE_TOKEN: HARNESS_SERVICE_TOKEN, ...env, [portEnv]: String(port), ...(urlEnv ? { [urlEnv]: url } : {}) },
    ready: () => httpOk(`${url}/healthz`),
  });
  return { url, port, daemon, output: () => daemon.logTail(10_000), stop: () => daemon.stop() };
}
