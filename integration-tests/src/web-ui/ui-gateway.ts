// Starts the real API gateway process (services/api-gateway/src/main.ts, which serves the Web UI)
// on a free loopback port, ready once both /healthz and the UI page answer.
import { freePort, httpOk, makeTempDir, startDaemon } from '../harness/daemon.ts';
import { HARNESS_SERVICE_TOKEN, REPO_ROOT, type AamiService } from '../harness/aami-service.ts';

/** The gateway + UI. `env` adds to the test's environment. */
export async function startUiGateway(env: NodeJS.ProcessEnv): Promise<AamiService> {
  const port = await freePort();
  const dir = await makeTempDir('ui-gateway');
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'api-gateway-ui',
    command: process.execPath,
    args: [`${REPO_ROOT}services/api-gateway/src/main.ts`],
    dir,
    env: { ...process.env, AAMI_BIND: '127.0.0.1', AAMI_API_PORT: String(port), AAMI_LOG_LEVEL: 'warn', AAMI_SERVICE_TOKEN: HARNESS_SERVICE_TOKEN, ...env },
    ready: async () => (await httpOk(`${url}/healthz`)) && (await httpOk(`${url}/`)),
  });
  return { url, port, daemon, output: () => daemon.logTail(10_000), stop: () => daemon.stop() };
}
