// A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, clustering off.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, httpOk, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

export interface AlertmanagerServer {
  url: string;
  port: number;
  dir: string;
  configPath: string;
  daemon: Daemon;
  /** Alerts currently held, from /api/v2/alerts. */
  alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>>;
  reload(configYaml?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startAlertmanager(configYaml: string): Promise<AlertmanagerServer> {
  const dir = await makeTempDir('alertmanager');
  const configPath = join(dir, 'alertmanager.yml');
  await writeFile(configPath, configYaml);
  return startAlertmanagerOnFile(configPath, await freePort(), dir);
}

/** Alertmanager on a config file written by someone else (the rule compiler), listening on `port`. */
export async function startAlertmanagerOnFile(configPath: string, port: number, ownDir?: string): Promise<AlertmanagerServer> {
  const bin = requireBinary('/usr/bin/prometheus-alertmanager', 'prometheus-alertmanager');
  const dir = ownDir ?? (await makeTempDir('alertmanager'));
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'alertmanager',
    command: bin,
    args: [`--config.file=${configPath}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    dir,
    ready: () => httpOk(`${url}/-/ready`),
  });
  return {
    url, port, dir, configPath, daemon,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      return (await res.json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>;
    },
    async reload(text?: string) {
      if (text !== undefined) await writeFile(configPath, text);
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!res.ok) throw new Error(`alertmanager reload failed: ${res.status} ${await res.text()}`);
    },
    stop: () => daemon.stop(),
  };
}
