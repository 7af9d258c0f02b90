// A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, clustering off.
// Optionally behind basic auth (--web.config.file), as compose runs it; the helpers here then send
// the credentials themselves.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';
import { basicAuthHeaders, httpOkWith, writeWebConfig, type WebAuth } from './prometheus.ts';

export interface AlertmanagerServer {
  url: string;
  port: number;
  dir: string;
  configPath: string;
  daemon: Daemon;
  /** Headers that authenticate to it ({} when it runs without basic auth). */
  auth: Record<string, string>;
  /** Alerts currently held, from /api/v2/alerts. */
  alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>>;
  reload(configYaml?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface AlertmanagerOptions {
  /** Run behind basic auth with this user (a web config in its dir, --web.config.file). */
  basicAuth?: WebAuth;
}

export async function startAlertmanager(configYaml: string, options: AlertmanagerOptions = {}): Promise<AlertmanagerServer> {
  const dir = await makeTempDir('alertmanager');
  const configPath = join(dir, 'alertmanager.yml');
  await writeFile(configPath, configYaml);
  return startAlertmanagerOnFile(configPath, await freePort(), dir, options);
}

/** Alertmanager on a config file written by someone else (the rule compiler), listening on `port`. */
export async function startAlertmanagerOnFile(configPath: string, port: number, ownDir?: string, options: AlertmanagerOptions = {}): Promise<AlertmanagerServer> {
  const bin = requireBinary('/usr/bin/prometheus-alertmanager', 'prometheus-alertmanager');
  const dir = ownDir ?? (await makeTempDir('alertmanager'));
  const url = `http://127.0.0.1:${port}`;
  const auth = basicAuthHeaders(options.basicAuth);
  const web = options.basicAuth ? [await writeWebConfig(dir, options.basicAuth)] : [];
  const daemon = await startDaemon({
    name: 'alertmanager',
    command: bin,
    args: [`--config.file=${configPath}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', ...web, '--log.level=warn'],
    dir,
    ready: () => httpOkWith(`${url}/-/ready`, auth),
  });
  return {
    url, port, dir, configPath, daemon, auth,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`, { headers: auth });
      return (await res.json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>;
    },
    async reload(text?: string) {
      if (text !== undefined) await writeFile(configPath, text);
      const res = await fetch(`${url}/-/reload`, { method: 'POST', headers: auth });
      if (!res.ok) throw new Error(`alertmanager reload failed: ${res.status} ${await res.text()}`);
    },
    stop: () => daemon.stop(),
  };
}
