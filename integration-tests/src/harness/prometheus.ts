// A real Prometheus (Debian's package) on a free loopback port, with lifecycle API enabled so tests
// and the rule compiler can POST /-/reload.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, httpOk, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

export interface PrometheusServer {
  url: string;
  port: number;
  dir: string;
  configPath: string;
  daemon: Daemon;
  /** Rewrites prometheus.yml and reloads. */
  reload(configYaml?: string): Promise<void>;
  /** Runs an instant query; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** prometheus.yml text; `{{DIR}}` is replaced by the server's own dir. */
  configYaml: string;
  /** Extra files to write into its dir first (name -> content), e.g. rule files or file_sd targets. */
  files?: Record<string, string>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await makeTempDir('prometheus');
  const configPath = join(dir, 'prometheus.yml');
  const render = (t: string) => t.replaceAll('{{DIR}}', dir);
  for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), render(content));
  await writeFile(configPath, render(options.configYaml));
  return startPrometheusOnFile(configPath, await freePort(), { dir, render });
}

/**
 * Prometheus on a config file written by someone else (the rule compiler), listening on `port`
 * (chosen before the file was written, since Alertmanager and the compiler need the address).
 */
export async function startPrometheusOnFile(configPath: string, port: number, own?: { dir: string; render: (t: string) => string }): Promise<PrometheusServer> {
  const bin = requireBinary('/usr/bin/prometheus', 'prometheus');
  const dir = own?.dir ?? (await makeTempDir('prometheus'));
  const render = own?.render ?? ((t: string) => t);
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'prometheus',
    command: bin,
    args: [`--config.file=${configPath}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle', '--log.level=warn'],
    dir,
    ready: () => httpOk(`${url}/-/ready`),
  });
  return {
    url, port, dir, configPath, daemon,
    async reload(configYaml?: string) {
      if (configYaml !== undefined) await writeFile(configPath, render(configYaml));
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!res.ok) throw new Error(`prometheus reload failed: ${res.status} ${await res.text()}`);
    },
    async query(expr: string) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    stop: () => daemon.stop(),
  };
}
