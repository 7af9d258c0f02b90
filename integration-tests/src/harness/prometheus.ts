// A real Prometheus (Debian's package) on a free loopback port, with lifecycle API enabled so tests
// and the rule compiler can POST /-/reload. Optionally behind basic auth (--web.config.file), as
// compose runs it; the helpers here then send the credentials themselves.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, httpOk, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

/** The one user of a daemon's --web.config.file (basic_auth_users). */
export interface WebAuth {
  username: string;
  password: string;
}

/** The Authorization header for `auth` ({} without auth). */
export function basicAuthHeaders(auth?: WebAuth): Record<string, string> {
  return auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
}

/**
 * Writes web.yml into `dir` with `auth`'s bcrypt hash (the file holds no password) and returns
 * the --web.config.file argument for it. Cost 6 (the minimum is 4) keeps test start-up quick.
 */
export async function writeWebConfig(dir: string, auth: WebAuth): Promise<string> {
  const path = join(dir, 'web.yml');
  await writeFile(path, `basic_auth_users:\n  ${JSON.stringify(auth.username)}: ${JSON.stringify(bcrypt.hashSync(auth.password, 6))}\n`);
  return `--web.config.file=${path}`;
}

/** True when GET `url` answers 2xx to a caller presenting `headers`. */
export async function httpOkWith(url: string, headers: Record<string, string>): Promise<boolean> {
  if (Object.keys(headers).length === 0) return httpOk(url);
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

export interface PrometheusServer {
  url: string;
  port: number;
  dir: string;
  configPath: string;
  daemon: Daemon;
  /** Headers that authenticate to it ({} when it runs without basic auth). */
  auth: Record<string, string>;
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
  /** Run behind basic auth with this user (a web config in its dir, --web.config.file). */
  basicAuth?: WebAuth;
}

export interface PrometheusFileOptions {
  /** Run behind basic auth with this user (a web config in its dir, --web.config.file). */
  basicAuth?: WebAuth;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await makeTempDir('prometheus');
  const configPath = join(dir, 'prometheus.yml');
  const render = (t: string) => t.replaceAll('{{DIR}}', dir);
  for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), render(content));
  await writeFile(configPath, render(options.configYaml));
  return startPrometheusOnFile(configPath, await freePort(), { dir, render }, options.basicAuth ? { basicAuth: options.basicAuth } : {});
}

/**
 * Prometheus on a config file written by someone else (the rule compiler), listening on `port`
 * (chosen before the file was written, since Alertmanager and the compiler need the address).
 */
export async function startPrometheusOnFile(configPath: string, port: number, own?: { dir: string; render: (t: string) => string }, options: PrometheusFileOptions = {}): Promise<PrometheusServer> {
  const bin = requireBinary('/usr/bin/prometheus', 'prometheus');
  const dir = own?.dir ?? (await makeTempDir('prometheus'));
  const render = own?.render ?? ((t: string) => t);
  const url = `http://127.0.0.1:${port}`;
  const auth = basicAuthHeaders(options.basicAuth);
  const web = options.basicAuth ? [await writeWebConfig(dir, options.basicAuth)] : [];
  const daemon = await startDaemon({
    name: 'prometheus',
    command: bin,
    args: [`--config.file=${configPath}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle', ...web, '--log.level=warn'],
    dir,
    ready: () => httpOkWith(`${url}/-/ready`, auth),
  });
  return {
    url, port, dir, configPath, daemon, auth,
    async reload(configYaml?: string) {
      if (configYaml !== undefined) await writeFile(configPath, render(configYaml));
      const res = await fetch(`${url}/-/reload`, { method: 'POST', headers: auth });
      if (!res.ok) throw new Error(`prometheus reload failed: ${res.status} ${await res.text()}`);
    },
    async query(expr: string) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { headers: auth });
      const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    stop: () => daemon.stop(),
  };
}
