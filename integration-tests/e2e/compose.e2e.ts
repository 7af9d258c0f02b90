// End-to-end: the compose stack, in locally built images, driven the way an operator drives it.
// Run by scripts/e2e.sh (`make e2e`), which builds the images first and passes their tags in the
// environment. Phases, each timed:
//   up         compose up (demo profile, everything but Grafana), every container healthy
//   locks      without credentials, Redis, Prometheus, Alertmanager and the internal APIs refuse a
//              caller on the compose network; `aami status` shows what guards each part
//   register   four simulated GPU nodes through the CLI, Slack through the CLI, gpu-production
//   scrape     the gateway reports all four nodes up with 8 GPUs (Prometheus scrapes them)
//   cli        every CLI command family: tokens (a viewer cannot write, a revoked token is refused),
//              nodes from a hosts file, show/label/remove, alerts tune/check/custom (promtool in the
//              rule compiler), notifications email/status/dead letters, explain, xid scan, topo parse, status
//   install    a real systemd + sshd node on the compose network: test (first-use pin shown), trust,
//              install, scraped (node_exporter only: no dcgm target on a CPU node), uninstall
//   web ui     Chromium signs in, presses Test on the Slack channel: the sink's answer shows, the
//              admin stays signed in (the gateway reaches the relay with the service token)
//   xid        Xid 79 injected through the simulator's control API reaches the Slack sink, explained
//   pending    Slack "goes down"; a webhook the relay accepted is still waiting to be delivered
//   restart    down (volumes kept) and up: config, nodes, rules survive; the pending message arrives
//   single     `restart` of each service on its own: healthy again within 30 s, nothing lost
//   memory     docker stats of the idle stack (AAMI services must stay under 400 MB together)
//   leaks      no secret (admin token, relay and service tokens, Redis password, Slack URL) in
//              config.yaml or any container's log
//   coverage   every route of the OpenAPI document was called (the gateway's request counter)
//   cleanup    down -v: containers, network and volumes gone
// Settings (environment): AAMI_E2E_PROJECT (compose project, default aami-compose-e2e), AAMI_E2E_KEEP=1
// (leave the stack up), AAMI_COMPOSE (compose command, default `docker compose` if present, else
// `docker-compose`), and the compose file's own variables (image tags, AAMI_VERSION) from e2e.sh.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, chown, copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NodeChartsResponse, OverviewResponse } from '@aami/shared';
import { loadXidCatalog } from '@aami/shared/xid/index';
import { freePort, REPO_ROOT, runCli, waitFor } from '../src/harness/index.ts';
import { launchUiBrowser, signedInTab, type UiBrowser } from '../src/web-ui/browser.ts';
import { NODE_IMAGE, NODE_KEY, prepareNodeImage, prepareNodeKey } from '../src/install-worker-nodes.ts';
import { slackText } from '../../services/notification-relay/src/testing/slack-sink.ts';

const exec = promisify(execFile);
const PROJECT = process.env['AAMI_E2E_PROJECT'] ?? 'aami-compose-e2e';
const ADMIN_TOKEN = `aami_e2e-${randomUUID().replaceAll('-', '')}`;
const SINK_SECRET = `e2e${randomUUID().slice(0, 8)}`;
/** The services AAMI itself runs (the memory budget covers these). */
const AAMI_SERVICES = ['api-gateway', 'rule-compiler', 'notification-relay', 'analyzer', 'install-worker'];
const NODES = ['gpu-node-01', 'gpu-node-02', 'gpu-node-03', 'gpu-node-04'];
/** Services that run once and exit (never "healthy"). */
const ONE_SHOT = ['aami-init'];
const MEMORY_BUDGET_MB = 400;
/** The real node (systemd + sshd) the install phase puts on the compose network. */
const NODE_CONTAINER = `${PROJECT}-cpu-node-01`;
const SINGLE_RESTART_BUDGET_S = 30;

// ---- small helpers ----------------------------------------------------------------------------

const timings: Array<[string, number]> = [];
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  try {
    return await fn();
  } finally {
    const s = (Date.now() - start) / 1000;
    timings.push([name, s]);
    process.stdout.write(`== ${name}: ${s.toFixed(1)} s\n`);
  }
}
const log = (msg: string) => process.stdout.write(`   ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function composeCommand(): Promise<string[]> {
  const fromEnv = process.env['AAMI_COMPOSE'];
  if (fromEnv) return fromEnv.split(/\s+/).filter(Boolean);
  try {
    await exec('docker', ['compose', 'version']);
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

let composeBase: string[] = [];
let composeEnv: NodeJS.ProcessEnv = {};

/** Runs compose with the project, the demo profile and the e2e environment. */
async function compose(args: string[], options: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const [cmd, ...pre] = composeBase;
  try {
    const { stdout } = await exec(cmd!, [...pre, '-p', PROJECT, '--profile', 'demo', ...args], { cwd: REPO_ROOT, env: composeEnv, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 300_000 });
    return stdout;
  } catch (err) {
    if (options.allowFail) return '';
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`compose ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Service name -> container id, for the running project. */
async function containers(): Promise<Map<string, string>> {
  const ids = (await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`])).split('\n').filter(Boolean);
  const out = new Map<string, string>();
  for (const id of ids) {
    const svc = (await docker(['inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}}', id])).trim();
    out.set(svc, id);
  }
  return out;
}

/** Health of every container of the project: service -> healthy | starting | unhealthy | exited... */
async function health(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [svc, id] of await containers()) {
    const state = (await docker(['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', id])).trim().split(' ');
    out.set(svc, state[0] === 'running' ? state[1]! : state[0]!);
  }
  return out;
}

async function waitHealthy(services: readonly string[], timeoutMs: number): Promise<number> {
  const start = Date.now();
  let last = new Map<string, string>();
  try {
    await waitFor(async () => {
      last = await health();
      return services.every((s) => last.get(s) === 'healthy');
    }, timeoutMs, 'every container healthy');
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${[...last].map(([s, h]) => `${s}=${h}`).join(' ')}`);
  }
  return (Date.now() - start) / 1000;
}

/**
 * Whether "METHOD /openapi/{path}" was served: path parameters match whatever the router named them,
 * and a proxy's catch-all (`/install/*rest`) covers every path under it.
 */
function routeServed(declared: string, served: ReadonlySet<string>): boolean {
  const norm = (p: string) => p.replace(/\{[^}]+\}|:[A-Za-z_]+/g, '{}');
  const [method, path] = declared.split(' ') as [string, string];
  for (const s of served) {
    const [m, route] = s.split(' ') as [string, string];
    if (m !== method) continue;
    const star = route.indexOf('/*');
    if (star >= 0 ? norm(path).startsWith(`${norm(route.slice(0, star))}/`) : norm(route) === norm(path)) return true;
  }
  return false;
}

/** A folder holding the test nodes' login key, readable by the install worker's user (uid 1000) only. */
async function sshKeyDir(): Promise<string> {
  await prepareNodeKey();
  const dir = await mkdtemp(join(tmpdir(), 'aami-e2e-ssh-'));
  await chmod(dir, 0o755);
  await copyFile(NODE_KEY, join(dir, 'id_ed25519'));
  await chown(join(dir, 'id_ed25519'), 1000, 1000);
  await chmod(join(dir, 'id_ed25519'), 0o600);
  return dir;
}

// ---- the scenario -------------------------------------------------------------------------------

async function main(): Promise<void> {
  composeBase = await composeCommand();
  const ports = { api: await freePort(), webhook: await freePort(), grafana: await freePort(), sim: await freePort(), sink: await freePort() };
  composeEnv = {
    ...process.env,
    AAMI_PUBLISH_ADDR: '127.0.0.1',
    AAMI_API_PUBLISH_PORT: String(ports.api),
    AAMI_WEBHOOK_PUBLISH_PORT: String(ports.webhook),
    AAMI_GRAFANA_PUBLISH_PORT: String(ports.grafana),
    AAMI_SIM_PUBLISH_PORT: String(ports.sim),
    AAMI_SLACK_SINK_PUBLISH_PORT: String(ports.sink),
    AAMI_ADMIN_TOKEN: ADMIN_TOKEN,
    AAMI_HEALTH_INTERVAL_S: '5',
    AAMI_SLACK_SINK_SECRET: SINK_SECRET,
    SLACK_WEBHOOK_URL: `http://slack-sink:8090/services/T0AAMI/B0AAMI/${SINK_SECRET}`,
    AAMI_SECRETS_DIR: await mkdtemp(join(tmpdir(), 'aami-e2e-secrets-')),
    AAMI_SSH_KEY_DIR: await sshKeyDir(),
  };
  const api = `http://127.0.0.1:${ports.api}`;
  const sim = `http://127.0.0.1:${ports.sim}`;
  const sink = `http://127.0.0.1:${ports.sink}`;
  const relay = `http://127.0.0.1:${ports.webhook}`;
  const cliEnv = { AAMI_URL: api, AAMI_TOKEN: ADMIN_TOKEN };
  const cli = async (args: string[]) => {
    const r = await runCli(args, cliEnv);
    if (r.code !== 0) throw new Error(`aami ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const allServices = (await compose(['config', '--services'])).split('\n').map((s) => s.trim()).filter(Boolean);
  // Grafana has no Debian package, so no stand-in image: its dashboards are checked by
  // integration-tests/src/grafana-dashboards.test.ts instead.
  const services = allServices.filter((s) => s !== 'grafana');
  const longRunning = services.filter((s) => !ONE_SHOT.includes(s));
  log(`compose: ${composeBase.join(' ')}; project ${PROJECT}; services: ${services.join(', ')}`);

  type Messages = { messages: Array<{ seq: number; status: number; body: unknown; problems: string[] }> };
  const sinkMessages = async (all = false): Promise<Messages['messages']> => ((await (await fetch(`${sink}/messages${all ? '?all=1' : ''}`)).json()) as Messages).messages;
  const relayToken = async () => (await compose(['exec', '-T', 'notification-relay', 'cat', '/var/lib/aami/secrets/relay-token'])).trim();
  /** Posts an Alertmanager-shaped webhook to the relay, as Alertmanager would; returns the HTTP status. */
  const postWebhook = async (marker: string, node: string): Promise<number> => {
    const now = new Date().toISOString();
    const alert = {
      status: 'firing',
      labels: { alertname: 'E2EDeliveryProbe', severity: 'critical', node, cluster: 'gpu-cluster', component: 'node' },
      annotations: { summary: `delivery probe ${marker}`, description: `The e2e run checks that an accepted notification survives restarts (${marker}).` },
      startsAt: now, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: marker.slice(0, 16),
    };
    const body = { version: '4', groupKey: `{}:{alertname="E2EDeliveryProbe", marker="${marker}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'aami-critical', groupLabels: { alertname: 'E2EDeliveryProbe' }, commonLabels: alert.labels, commonAnnotations: alert.annotations, externalURL: 'http://alertmanager:9093', alerts: [alert] };
    const res = await fetch(`${relay}/alertmanager/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await relayToken()}` }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  };
  const delivered = async (marker: string) => (await sinkMessages()).some((m) => slackText(m.body).includes(marker));
  // Counted apart from alerts, which may arrive at any time (a resolve after its group_interval).
  const testMessages = async () => (await sinkMessages()).filter((m) => slackText(m.body).includes('AAMI test message')).length;
  /** A page of the compose gateway's Web UI, signed in with the admin token. */
  /** A tab of the compose gateway's Web UI, signed in with the admin token, on its first screen (the overview). */
  const signedInPage = (browser: UiBrowser) => signedInTab(browser, api, ADMIN_TOKEN, '', 'Overview');
  const promRules = async (): Promise<string[]> => {
    // Prometheus wants the basic-auth password aami-init made, even from inside its own container.
    const text = await compose(['exec', '-T', 'prometheus', 'sh', '-c', 'wget -q -O - "http://aami:$(cat /var/lib/aami/secrets/prometheus-password)@127.0.0.1:9090/api/v1/rules"']);
    const body = JSON.parse(text) as { data: { groups: Array<{ rules: Array<{ name: string }> }> } };
    return body.data.groups.flatMap((g) => g.rules.map((r) => r.name));
  };

  /** "GET /api/v1/nodes/:name" for every route the gateway answered, gathered across its restarts. */
  const served = new Set<string>();
  const recordServed = async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    for (const m of text.matchAll(/^aami_gateway_requests_total\{([^}]*)\} (\S+)$/gm)) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      if (Number(m[2]) > 0 && labels['route'] !== 'unmatched') served.add(`${labels['method']} ${labels['route']}`);
    }
  };

  let ok = false;
  try {
    await phase('clean slate', async () => {
      // A kept run's node container first: it holds on to the compose network.
      await docker(['rm', '-f', NODE_CONTAINER]).catch(() => '');
      await compose(['down', '-v', '--remove-orphans'], { allowFail: true });
    });

    await phase('up', async () => {
      await compose(['up', '-d', '--no-build', ...services]);
      const s = await waitHealthy(longRunning, 240_000);
      log(`all ${services.length} containers healthy ${s.toFixed(1)} s after up returned`);
      const init = (await containers()).get('aami-init');
      assert.ok(init, 'aami-init ran');
      assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', init])).trim(), '0', 'aami-init made the credentials');
    });

    await phase('locks', async () => {
      // Run from inside the stack's own containers: what any container on the network could do.
      const sh = async (svc: string, script: string) => compose(['exec', '-T', svc, 'sh', '-c', `${script} 2>&1; true`]);
      assert.match(await sh('redis', 'redis-cli RPUSH bull:notify:wait spoofed'), /NOAUTH/, 'Redis refuses a caller without the password');
      assert.match(await sh('prometheus', 'wget -O /dev/null --post-data= http://127.0.0.1:9090/-/quit'), /401|Unauthorized/i, 'Prometheus refuses /-/quit');
      assert.match(await sh('alertmanager', 'wget -O /dev/null http://127.0.0.1:9093/api/v2/silences'), /401|Unauthorized/i, 'Alertmanager refuses the silence API');
      const probe = `node -e "fetch(process.argv[1], {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'}).then((r) => console.log('HTTP', r.status))"`;
      assert.match(await sh('gpu-simulator', `${probe} http://install-worker:8084/api/v1/install/runs`), /HTTP 401/, 'the install worker refuses a caller without the service token');
      // Code running in a service can change only its own volume: the config volume (tokens, secrets,
      // config.yaml) is read-only to all but the gateway, and no other service sees the artifacts.
      for (const svc of ['analyzer', 'notification-relay', 'rule-compiler', 'install-worker']) {
        assert.match(await sh(svc, 'touch /var/lib/aami/secrets/service-token /var/lib/aami/config.yaml'), /Read-only file system/, `${svc} cannot write the config volume`);
      }
      assert.match(await sh('analyzer', 'ls /var/lib/aami-install/artifacts'), /No such file or directory/, 'the analyzer cannot reach the artifact store');
      assert.equal((await sh('install-worker', 'test -w /var/lib/aami-install && echo writable')).trim(), 'writable');
      const status = JSON.parse(await cli(['status', '-o', 'json'])) as { components: Array<{ name: string; reachable: boolean; credential: string | null }> };
      const open = status.components.filter((c) => !c.credential).map((c) => c.name);
      assert.deepEqual(open, [], 'every part asks for a credential');
      assert.ok(status.components.every((c) => c.reachable), `all reachable: ${JSON.stringify(status.components)}`);
      log(status.components.map((c) => `${c.name}: ${c.credential}`).join(', '));
    });

    let revisionBefore = 0;
    await phase('register', async () => {
      for (const [i, name] of NODES.entries()) {
        // Each simulated node answers under its own name on the compose network, like a real host.
        // Its exporters were not installed by AAMI, so the node says which ones run there.
        const out = await cli(['nodes', 'add', name, '--ip', name, '--user', 'root', '--key', '/run/secrets/aami-ssh/id_ed25519', '--label', 'gpu_type=h100', '--label', `rack=r${Math.floor(i / 2) + 1}`, '--exporters', 'node_exporter,dcgm_exporter']);
        log(out.trim());
      }
      log((await cli(['config', 'notifications', 'slack', '--webhook', '${SLACK_WEBHOOK_URL}', '--channel', '#gpu-alerts'])).trim());
      // The CLI's test through gateway and relay to the sink: the channel's answer, in words.
      const sent = await testMessages();
      const tested = await cli(['notifications', 'test', 'slack']);
      assert.match(tested, /✔ slack: the test message was delivered/);
      assert.equal(await testMessages(), sent + 1, 'the Slack sink got the CLI test message');
      log((await cli(['alerts', 'apply-preset', 'gpu-production'])).trim());
      const shown = JSON.parse(await cli(['config', 'show', '-o', 'json'])) as { revision: number; config: { alerts: { presets: string[] }; nodes: unknown[] } };
      assert.ok(shown.config.alerts.presets.includes('gpu-production'), 'gpu-production is in the config');
      assert.equal(shown.config.nodes.length, NODES.length);
      revisionBefore = shown.revision;
    });

    await phase('scrape', async () => {
      await waitFor(async () => (await promRules()).includes('GPUXidError'), 120_000, 'Prometheus loads the gpu-production rules');
      let last = '';
      await waitFor(async () => {
        const list = JSON.parse(await cli(['nodes', 'list', '-o', 'json'])) as { nodes: Array<{ name: string; health: { status: string | null; gpus: number | null } }> };
        last = list.nodes.map((n) => `${n.name}:${n.health.status}/${n.health.gpus}`).join(' ');
        return list.nodes.length === NODES.length && list.nodes.every((n) => n.health.status === 'up' && n.health.gpus === 8);
      }, 180_000, 'all nodes up with 8 GPUs').catch((err: Error) => { throw new Error(`${err.message} (last: ${last})`); });
      log(`nodes list: ${last}`);
    });

    await phase('cli', async () => {
      // Every CLI command family against the compose gateway (install has its own phase below).
      const viewerOut = JSON.parse(await cli(['tokens', 'create', '--name', 'e2e-viewer', '--role', 'viewer', '-o', 'json'])) as { id: string; token: string };
      const asViewer = (args: string[]) => runCli(args, { AAMI_URL: api, AAMI_TOKEN: viewerOut.token });
      assert.equal((await asViewer(['nodes', 'list'])).code, 0, 'a viewer reads');
      const refusedWrite = await asViewer(['nodes', 'add', 'viewer-node', '--ip', '127.0.0.9']);
      assert.notEqual(refusedWrite.code, 0);
      assert.match(refusedWrite.stderr, /may only read/);
      assert.match(await cli(['tokens', 'list']), /e2e-viewer/);
      log((await cli(['tokens', 'revoke', viewerOut.id])).trim());
      assert.match((await asViewer(['nodes', 'list'])).stderr, /token was refused/, 'a revoked token is refused');

      // Nodes from a hosts file (loopback addresses: nothing is sent anywhere), shown, labelled, removed.
      const hosts = join(await mkdtemp(join(tmpdir(), 'aami-e2e-hosts-')), 'hosts.txt');
      await writeFile(hosts, '# e2e\nimported-01 127.0.0.2\nimported-02 127.0.0.3\n');
      assert.match(await cli(['nodes', 'add', '--file', hosts]), /Added 2 node\(s\)/);
      assert.match(await cli(['nodes', 'show', 'imported-01']), /Scraped: what aami nodes install put there/);
      log((await cli(['nodes', 'label', 'imported-01', 'rack=r9'])).trim());
      assert.match(await cli(['nodes', 'show', 'imported-01']), /rack=r9/);
      for (const n of ['imported-01', 'imported-02']) log((await cli(['nodes', 'remove', n])).trim());

      // Alerts: presets, tuning, a custom rule checked by promtool in the rule compiler's image.
      assert.match(await cli(['alerts', 'list-presets']), /gpu-production/);
      assert.match(await cli(['alerts', 'list']), /GPUTemperatureCritical/);
      log((await cli(['alerts', 'set', 'GPUTemperatureCritical', '--threshold', '90', '--for', '10m'])).trim());
      log((await cli(['alerts', 'disable', 'GPUTemperatureCritical'])).trim());
      log((await cli(['alerts', 'enable', 'GPUTemperatureCritical'])).trim());
      assert.match(await cli(['alerts', 'check', 'max by (node) (DCGM_FI_DEV_GPU_TEMP) > 85']), /promtool accepts/);
      const badExpr = await runCli(['alerts', 'check', 'max by (node (DCGM_FI_DEV_GPU_TEMP'], cliEnv);
      assert.equal(badExpr.code, 1, badExpr.stderr);
      const badRule = await runCli(['alerts', 'custom', 'add', 'E2EBroken', '--expr', 'rate(DCGM_FI_DEV_XID_ERRORS[5m]', '--summary', 'broken'], cliEnv);
      assert.notEqual(badRule.code, 0, 'a rule promtool refuses is not saved');
      assert.match(`${badRule.stderr}${badRule.stdout}`, /alerts\.custom|expr/);
      log((await cli(['alerts', 'custom', 'add', 'E2EHotGpu', '--expr', 'max by (node, gpu) (DCGM_FI_DEV_GPU_TEMP) > 200', '--summary', 'GPU {{ $labels.gpu }} on {{ $labels.node }} is over 200 C', '--severity', 'warning'])).trim());
      await waitFor(async () => (await promRules()).includes('E2EHotGpu'), 60_000, 'Prometheus loads the custom rule');
      assert.equal((await runCli(['alerts', 'status'], cliEnv)).code, 0, 'the compile with the custom rule was accepted');
      // aami doctor: every part answers and asks for a credential, the config is live, the scrapes
      // are up; the simulated nodes have no sshd, so each is the one thing left to fix (exit 1).
      type DoctorJson = { severity: string; findings: Array<{ check: string; severity: string; subject?: string; message: string }> };
      let doctorLast = '';
      await waitFor(async () => {
        const r = await runCli(['doctor', '-o', 'json'], cliEnv);
        doctorLast = `${r.code} ${r.stdout}${r.stderr}`;
        if (r.code !== 1) return false;
        const bad = (JSON.parse(r.stdout) as DoctorJson).findings.filter((f) => f.severity !== 'ok');
        return bad.every((f) => f.check === 'ssh' && f.severity === 'warning') && NODES.every((n) => bad.some((f) => `${f.subject ?? ''} ${f.message}`.includes(n)));
      }, 120_000, 'aami doctor names only the simulated nodes (no sshd) as things to fix').catch((err: Error) => { throw new Error(`${err.message}; last: ${doctorLast.slice(0, 3000)}`); });
      const doctor = await runCli(['doctor'], cliEnv);
      assert.equal(doctor.code, 1);
      assert.match(doctor.stdout, /✔ services: all \d+ parts answer/);
      assert.match(doctor.stdout, /✔ credentials: /);
      assert.match(doctor.stdout, /! ssh: gpu-node-01 /);
      log(`aami doctor: ${doctor.stdout.trim().split('\n').at(-1) ?? ''}`);
      log((await cli(['alerts', 'custom', 'remove', 'E2EHotGpu'])).trim());
      log((await cli(['alerts', 'apply-preset', 'exporters'])).trim());
      log((await cli(['alerts', 'remove-preset', 'exporters'])).trim());
      log(`firing: ${(await cli(['alerts', 'firing'])).split('\n')[0]}`);

      // Notifications: channels, status, dead letters, and email set then removed again.
      assert.match(await cli(['config', 'notifications', 'show']), /slack/i);
      log((await cli(['config', 'notifications', 'email', '--smtp', 'slack-sink:2525', '--tls', 'none', '--from', 'aami@e2e.test', '--to', 'oncall@e2e.test'])).trim());
      // The demo sink is also a mail server: the test mail goes through the relay and nodemailer.
      const mailed = await cli(['notifications', 'test', 'email']);
      assert.match(mailed, /email/i);
      await waitFor(async () => {
        const { mails } = (await (await fetch(`${sink}/mails`)).json()) as { mails: Array<{ to: string; subject: string }> };
        return mails.some((m) => m.to.includes('oncall@e2e.test'));
      }, 30_000, 'the mail sink receives the test mail');
      log(`email test: ${mailed.trim().split('\n')[0] ?? ''}`);
      log((await cli(['notifications', 'status'])).trim().split('\n')[0] ?? '');
      log((await cli(['notifications', 'dead-letters'])).trim().split('\n')[0] ?? '');
      const noSuch = await runCli(['notifications', 'retry', 'slack-no-such-letter'], cliEnv);
      assert.notEqual(noSuch.code, 0);
      assert.doesNotMatch(noSuch.stderr, /^aami: HTTP \d+$/m, 'a refusal says why, never only the status code');

      // Routes no CLI command needs (the Web UI and other portals call them): the same API, by hand.
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        assert.ok(res.ok, `${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
        return JSON.parse(text) as Record<string, unknown>;
      };
      const channels = await call('GET', '/api/v1/notifications/channels') as { routing: unknown };
      await call('PUT', '/api/v1/notifications/routing', channels.routing);
      await call('DELETE', '/api/v1/notifications/email');
      assert.equal((await call('GET', '/api/v1/whoami'))['role'], 'admin');
      const ready = await fetch(`${api}/readyz`);
      assert.equal(ready.status, 200, `GET /readyz with every service up: ${await ready.text()}`);
      assert.ok(Array.isArray((await call('GET', '/api/v1/xid'))['entries']));
      assert.match(JSON.stringify(await call('GET', '/api/v1/xid/search?q=bus')), /79/);
      assert.match(JSON.stringify(await call('GET', '/api/v1/xid/79')), /fallen off the bus|fell off the bus/i);
      await call('GET', `/api/v1/sxid/${loadXidCatalog().sxids[0]!.code}`);

      // Offline tools and the overview.
      assert.match(await cli(['explain', 'xid', '79']), /79/);
      const kern = join(await mkdtemp(join(tmpdir(), 'aami-e2e-kern-')), 'kern.log');
      await writeFile(kern, 'Dec  4 03:12:01 gpu-node-02 kernel: [1234.5] NVRM: Xid (PCI:0000:3b:00): 79, pid=0, GPU has fallen off the bus.\n');
      assert.match(await cli(['xid', 'scan', kern]), /79/);
      const topoDir = join(REPO_ROOT, 'shared/src/topology/testdata');
      assert.match(await cli(['topo', 'parse', join(topoDir, 'dgx1-v100-hybrid-cube-mesh.topo.txt'), '--nvlink', join(topoDir, 'v100-links-down.nvlink-s.txt')]), /NVLink between 16 of 28 GPU pairs[\s\S]*link\(s\) 3, 5 inactive/);
      assert.match(await cli(['status']), /rule-compiler/);
    });

    await phase('install', async () => {
      // A real node (systemd + sshd container) on the compose network: test, install, scrape, uninstall.
      await prepareNodeImage();
      await docker(['run', '-d', '--name', NODE_CONTAINER, '--hostname', 'cpu-node-01', '--network', `${PROJECT}_default`, '--network-alias', 'cpu-node-01',
        '--tmpfs', '/run', '--tmpfs', '/run/lock', '-v', '/sys/fs/cgroup:/sys/fs/cgroup:ro', '--label', 'aami.test=e2e', NODE_IMAGE]);
      await waitFor(async () => (await exec('docker', ['exec', NODE_CONTAINER, 'systemctl', 'is-active', 'ssh.service']).then((r) => r.stdout.trim(), () => '')) === 'active', 60_000, 'the node container runs sshd');
      // The worker ships only what its artifact store holds: this machine's Debian node_exporter.
      const worker = (await containers()).get('install-worker')!;
      await docker(['cp', '/usr/bin/prometheus-node-exporter', `${worker}:/tmp/node_exporter`]);
      log((await compose(['exec', '-T', 'install-worker', 'node', '--input-type=module', '-e',
        "import { ArtifactStore } from './services/install-worker/src/artifacts/store.ts'; import { binaryVersion } from './services/install-worker/src/artifacts/upstream.ts';" +
        " const m = await new ArtifactStore(process.env.AAMI_ARTIFACTS_DIR).importFile('/tmp/node_exporter', { name: 'node_exporter', version: await binaryVersion('/tmp/node_exporter'), arch: 'amd64' }); console.log('artifact', m.name, m.version, m.sha256.slice(0, 12));"])).trim());

      log((await cli(['nodes', 'add', 'cpu-node-01', '--ip', 'cpu-node-01', '--user', 'aami', '--key', '/run/secrets/aami-ssh/id_ed25519'])).trim());
      const tested = await cli(['nodes', 'test', 'cpu-node-01']);
      assert.match(tested, /pinned new host key SHA256:\S+ for cpu-node-01/, 'trust on first use is shown');
      const key = JSON.parse(await cli(['nodes', 'trust', 'cpu-node-01', '--yes', '-o', 'json'])) as { fingerprint: string; changed: boolean };
      assert.equal(key.changed, false, 'the key pinned by the test is the one the node offers');
      assert.match(await cli(['nodes', 'trust', 'cpu-node-01', '--fingerprint', key.fingerprint]), /cpu-node-01/);
      const installed = await cli(['nodes', 'install', 'cpu-node-01']);
      assert.match(installed, /cpu-node-01 +│ ✔ installed/);
      // The install also takes the node's GPU topology, in the background: this CPU node has none.
      await waitFor(async () => /cpu-node-01 +│ - no nvidia-smi/.test(await cli(['topo', 'list'])), 60_000, 'the topology taken after the install');
      assert.equal((await exec('docker', ['exec', NODE_CONTAINER, 'systemctl', 'is-active', 'aami-node-exporter.service'])).stdout.trim(), 'active');
      // Scraped: node_exporter, which AAMI installed; no dcgm-exporter target on a CPU node.
      await waitFor(async () => {
        const list = JSON.parse(await cli(['nodes', 'list', '-o', 'json'])) as { nodes: Array<{ name: string; health: { status: string | null } }> };
        return list.nodes.find((n) => n.name === 'cpu-node-01')?.health.status === 'up';
      }, 120_000, 'Prometheus scrapes the node_exporter AAMI installed on cpu-node-01');
      const targets = await compose(['exec', '-T', 'prometheus', 'sh', '-c', 'wget -q -O - "http://aami:$(cat /var/lib/aami/secrets/prometheus-password)@127.0.0.1:9090/api/v1/targets"']);
      const jobs = (JSON.parse(targets) as { data: { activeTargets: Array<{ labels: Record<string, string> }> } }).data.activeTargets.filter((t) => t.labels['node'] === 'cpu-node-01').map((t) => t.labels['job']);
      assert.deepEqual(jobs, ['node_exporter'], 'only node_exporter is scraped on the CPU node');
      const again = await cli(['nodes', 'install', 'cpu-node-01']);
      assert.match(again, /✔ unchanged/);
      const removed = await cli(['nodes', 'uninstall', 'cpu-node-01']);
      assert.match(removed, /✔ uninstalled/);
      assert.match((await exec('docker', ['exec', NODE_CONTAINER, 'bash', '-c', 'test -e /usr/local/bin/node_exporter && echo present || echo absent'])).stdout, /absent/);
      // GPU topology over the same SSH. A CPU node has none; with the GPU simulator's nvidia-smi for an
      // 8x H100 NV18 board (a stand-in: no GPU here) it is read and pinned as its kind's reference;
      // then two NVLinks of GPU 2 go down: the next read reports them and NVLinkDegraded fires.
      assert.match(await cli(['topo', 'refresh', 'cpu-node-01']), /cpu-node-01 +│ - no nvidia-smi/);
      const smiDir = await mkdtemp(join(tmpdir(), 'aami-e2e-smi-'));
      const simCli = join(REPO_ROOT, 'services/gpu-simulator/src/cli.ts');
      const board = async (down?: string) => {
        await exec(process.execPath, [simCli, 'smi-files', '--board', 'h100-nv18', '--seed', 'cpu-node-01', ...(down ? ['--down', down] : []), '--out', join(smiDir, 'data')]);
        await docker(['cp', `${join(smiDir, 'data')}/.`, `${NODE_CONTAINER}:/opt/aami-sim-smi/`]);
        await docker(['exec', NODE_CONTAINER, 'chmod', '-R', 'a+rX', '/opt/aami-sim-smi']);
      };
      await exec(process.execPath, [simCli, 'smi-script', '--root', '/opt/aami-sim-smi', '--out', join(smiDir, 'nvidia-smi')]);
      await docker(['exec', NODE_CONTAINER, 'mkdir', '-p', '/opt/aami-sim-smi']);
      await board();
      await docker(['cp', join(smiDir, 'nvidia-smi'), `${NODE_CONTAINER}:/usr/local/bin/nvidia-smi`]);
      await docker(['exec', NODE_CONTAINER, 'chmod', '755', '/usr/local/bin/nvidia-smi']);
      assert.match(await cli(['topo', 'refresh', 'cpu-node-01']), /cpu-node-01 +│ ✔ read +│ 8 +│ 28\/28 pairs, NV18 +│ - +│ ✔ as alone/);
      assert.match(await cli(['topo', 'pin', 'cpu-node-01']), /Pinned: cpu-node-01's topology is now what every 8 × NVIDIA H100 80GB HBM3 node is expected to have/);
      log((await cli(['alerts', 'apply-preset', 'gpu-hardware'])).trim());
      await board('2:3,2:7');
      assert.match(await cli(['topo', 'refresh', 'cpu-node-01']), /GPU 2 link 3, GPU 2 link 7 +│ ✖ \d+ difference\(s\) vs pinned from cpu-node-01/);
      const shownTopo = await cli(['topo', 'show', 'cpu-node-01']);
      assert.match(shownTopo, /✖ GPU 2 has 16 of 18 NVLinks active \(pinned from cpu-node-01: 18\)/);
      assert.match(shownTopo, /│ GPU2 +│ NVIDIA H100 80GB HBM3 +│ GPU-/, 'the GPUs\' identity from --query-gpu');
      assert.match(await cli(['topo', 'list']), /Nodes that differ from what is expected:\n {2}cpu-node-01:\n {4}✖ GPU 2 has 16 of 18/);
      await waitFor(async () => {
        const firing = JSON.parse(await cli(['alerts', 'firing', '-o', 'json'])) as { alerts: Array<{ labels: Record<string, string> }> };
        return firing.alerts.some((a) => a.labels['alertname'] === 'NVLinkDegraded' && a.labels['node'] === 'cpu-node-01' && a.labels['gpu'] === '2');
      }, 180_000, 'NVLinkDegraded fires for GPU 2 of cpu-node-01 (install worker metrics, scraped under job aami)');
      // The Web UI marks GPU 2 (red, dashed, ✕ 16/18) in the node's drawing and lists the node as differing.
      const topoBrowser = await launchUiBrowser();
      try {
        const page = await signedInPage(topoBrowser);
        await page.goto(`${api}/#/topology/cpu-node-01`);
        const gpu2 = page.locator('svg.topo-svg g.topo-gpu.degraded[data-gpu="2"]');
        await gpu2.waitFor();
        assert.match((await gpu2.locator('text').allTextContents()).join(' '), /GPU 2 ✕ 16\/18 NVLinks/);
        assert.equal(await page.locator('svg.topo-svg g.topo-gpu.degraded').count(), 1, 'only GPU 2 is marked');
        await topoBrowser.screenshot(page, 'e2e-topology-degraded');
        await page.goto(`${api}/#/topology`);
        await page.getByText('GPU 2 has 16 of 18 NVLinks active (pinned from cpu-node-01: 18)').first().waitFor();
      } finally {
        await topoBrowser.close();
      }
      assert.match(await cli(['topo', 'unpin', 'cpu-node-01']), /Removed the pin of 8 × NVIDIA H100 80GB HBM3/);
      log((await cli(['alerts', 'remove-preset', 'gpu-hardware'])).trim());
      log((await cli(['nodes', 'remove', 'cpu-node-01'])).trim());
      const last = await fetch(`${api}/api/v1/install/nodes/cpu-node-01/last`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(last.status, 200, 'the last install result of a node stays readable');
      await docker(['rm', '-f', NODE_CONTAINER]);
    });

    await phase('web ui', async () => {
      const browser = await launchUiBrowser();
      try {
        const page = await signedInPage(browser);
        await page.getByRole('link', { name: 'Notifications' }).click();
        await page.getByRole('heading', { level: 1, name: 'Notification channels' }).waitFor();
        const before = await testMessages();
        await page.getByRole('button', { name: 'Send a test message to Slack' }).click();
        await page.locator('[data-channel="slack"] .test-result').getByText('✓ Slack accepted the test message.').waitFor({ timeout: 30_000 });
        assert.equal(await testMessages(), before + 1, 'the Slack sink got the test message');
        // Still signed in: the next screen loads instead of the sign-in form.
        await page.getByRole('link', { name: 'Nodes' }).click();
        await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
        assert.equal(await page.getByLabel('API token').count(), 0, 'the admin was not signed out');
        await browser.screenshot(page, 'e2e-notifications-test');
        log('the Test button reached Slack through the relay; the admin stayed signed in');

        // A custom rule from the UI: promtool (in the rule compiler's image) refuses the bad PromQL
        // and its message is shown; the fixed one is saved and goes live in Prometheus.
        await page.getByRole('link', { name: 'Alert rules' }).click();
        await page.getByRole('button', { name: '+ New custom rule' }).click();
        await page.getByLabel('Rule name').fill('E2EUiPower');
        await page.getByLabel('PromQL expression').fill('sum(DCGM_FI_DEV_POWER_USAGE by (node) > 5000');
        await page.getByLabel('Summary').fill('GPU power above 5000 W');
        await page.getByRole('button', { name: 'Save custom rule' }).click();
        await page.getByText('Not valid PromQL:').waitFor({ timeout: 30_000 });
        await page.getByLabel('PromQL expression').fill('sum by (node) (DCGM_FI_DEV_POWER_USAGE) > 5000');
        await page.getByRole('button', { name: 'Save custom rule' }).click();
        await page.getByText('Saved custom rule E2EUiPower').waitFor({ timeout: 30_000 });
        await waitFor(async () => (await promRules()).includes('E2EUiPower'), 60_000, 'Prometheus loads the rule saved in the UI');
        await browser.screenshot(page, 'e2e-custom-rule');
        assert.deepEqual(browser.pageErrors, []);
        log('a custom rule saved in the UI was checked by promtool and went live');
      } finally {
        await browser.close();
      }
    });

    type FleetJson = { nodes: Array<{ node: string; state: string; gpus: Array<{ gpu: number; state: string }> }> };
    type NodeJson = { node: string; gpus: Array<{ gpu: number; state: string; action: string; reasons: Array<{ check: string; reason: string }> }>; history: Array<{ to: string }> };
    await phase('health baseline', async () => {
      // The analyzer must know the nodes before the Xid, or it takes the Xid for history.
      let last = '';
      await waitFor(async () => {
        const fleet = JSON.parse(await cli(['health', '-o', 'json'])) as FleetJson;
        last = fleet.nodes.map((n) => `${n.node}:${n.state}/${n.gpus.length}`).join(' ');
        return NODES.every((name) => fleet.nodes.some((n) => n.node === name && n.gpus.length === 8 && n.gpus.every((g) => g.state !== 'unhealthy' && g.state !== 'unknown')));
      }, 120_000, 'aami health lists every node with 8 GPUs, none unhealthy or unknown').catch((err: Error) => { throw new Error(`${err.message} (last: ${last})`); });
      log(`aami health: ${last}`);
      // The Web UI's overview and node charts read the same Prometheus through the gateway: every
      // simulated GPU has a health state and a temperature, and a node's last hour has points.
      const get = async (path: string) => {
        const res = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        assert.equal(res.status, 200, `${path}: ${res.status}`);
        return res.json() as Promise<unknown>;
      };
      const byHealth = OverviewResponse.parse(await get('/api/v1/overview?metric=health'));
      const simulated = byHealth.nodes.filter((n) => NODES.includes(n.name));
      assert.deepEqual(simulated.map((n) => [n.name, n.gpus.length]), NODES.map((n) => [n, 8]), 'the overview has every simulated GPU');
      assert.ok(simulated.every((n) => n.up === true && n.gpus.every((g) => g[3] !== null)), 'each has a health state');
      const byTemp = OverviewResponse.parse(await get('/api/v1/overview?metric=temperature'));
      assert.equal(byTemp.legend.unit, '°C');
      assert.ok(byTemp.nodes.filter((n) => NODES.includes(n.name)).every((n) => n.gpus.every((g) => typeof g[3] === 'number' && g[3] > 0)), 'each GPU has a temperature');
      const charts = NodeChartsResponse.parse(await get(`/api/v1/nodes/${NODES[0]}/charts?range=1h`));
      assert.equal(charts.gpus.length, 8);
      assert.ok(charts.gpus.every((g) => g.series.temperature.some((v) => v !== null)), 'every GPU of the node has temperature points in the last hour');
      log(`overview: ${byTemp.summary.gpus.reporting} GPUs reporting; charts of ${NODES[0]}: ${charts.points} points, step ${charts.step}s`);
      log((await cli(['alerts', 'apply-preset', 'gpu-health'])).trim());
      // Applying the preset is a config change: the restarts below must keep this revision.
      revisionBefore = (JSON.parse(await cli(['config', 'show', '-o', 'json'])) as { revision: number }).revision;
      await waitFor(async () => (await promRules()).includes('GPUUnhealthy'), 120_000, 'Prometheus loads the gpu-health rules');
    });

    await phase('xid', async () => {
      const entry = loadXidCatalog().xids.find((x) => x.code === 79);
      assert.ok(entry, 'the catalog knows Xid 79');
      const res = await fetch(`${sim}/nodes/gpu-node-02/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'xid', gpu: 3, xid: 79 }) });
      assert.equal(res.status, 201, await res.text());
      // "Explained": the catalog's title and the start of its meaning are in the message.
      const meaningStart = entry.meaning.split(/\s+/).slice(0, 6).join(' ');
      let text = '';
      await waitFor(async () => {
        for (const m of await sinkMessages()) {
          const t = slackText(m.body);
          if (/\b79\b/.test(t) && t.includes('gpu-node-02') && t.includes(entry.title) && t.replace(/\s+/g, ' ').includes(meaningStart)) {
            text = t;
            return true;
          }
        }
        return false;
      }, 240_000, 'the Slack sink receives the explained Xid 79 alert');
      const refused = (await sinkMessages(true)).filter((m) => m.problems.length > 0);
      assert.deepEqual(refused.map((m) => m.problems), [], 'every payload the relay sent is one Slack accepts');
      log(`Slack got: ${text.split('\n').slice(0, 4).join(' | ')}`);

      // The same alert in the Web UI's firing list, with the catalog's explanation.
      const browser = await launchUiBrowser();
      try {
        const page = await signedInPage(browser);
        await page.getByRole('link', { name: 'Firing alerts' }).click();
        const card = page.locator('article[data-alertname="GPUXidError"]');
        await card.waitFor({ timeout: 60_000 });
        const explain = card.getByRole('region', { name: 'Explanation of Xid 79' });
        await explain.getByRole('heading', { name: /^Xid 79: / }).waitFor();
        const shown = (await explain.textContent()) ?? '';
        for (const part of ['What it means', 'What to do']) assert.ok(shown.includes(part), `the explanation has "${part}"`);
        await browser.screenshot(page, 'e2e-firing-xid');
        log('the Web UI shows the firing Xid 79 with its explanation');
        // The node's page lists the Xid among its events (from the range API through the gateway),
        // and the overview draws every simulated GPU, coloured by health.
        await page.goto(`${api}/#/node/gpu-node-02`);
        await page.getByRole('heading', { level: 1, name: 'Node gpu-node-02' }).waitFor();
        await page.getByText(/Xid 79/).first().waitFor({ timeout: 60_000 });
        await browser.screenshot(page, 'e2e-node-page-xid');
        await page.goto(`${api}/#/overview?metric=health`);
        const map = page.locator('canvas.ov-map:not([data-drawn="0"])');
        await map.waitFor();
        assert.ok(Number(await map.getAttribute('data-cells')) >= 31, 'the overview draws the simulated GPUs (GPU 3 of gpu-node-02 may have fallen off)');
        await browser.screenshot(page, 'e2e-overview-health');
        assert.deepEqual(browser.pageErrors, []);
        log('the node page lists the Xid; the overview draws the fleet');
      } finally {
        await browser.close();
      }
    });

    await phase('health', async () => {
      let gpu: NodeJson['gpus'][number] | undefined;
      await waitFor(async () => {
        gpu = (JSON.parse(await cli(['health', 'gpu-node-02', '--gpu', '3', '-o', 'json'])) as NodeJson).gpus[0];
        return gpu?.state === 'unhealthy';
      }, 120_000, 'aami health shows gpu-node-02 GPU 3 unhealthy after Xid 79');
      assert.equal(gpu?.action, 'reboot-node');
      assert.ok(gpu?.reasons.some((r) => r.check === 'xid' && /^Xid 79 /.test(r.reason)), JSON.stringify(gpu?.reasons));
      const table = await cli(['health']);
      assert.match(table, /gpu-node-02 .*✕ unhealthy/);
      log(table.split('\n').slice(0, 5).join(' | '));
      // The analyzer keeps its memory in the data volume: after its restart the finding is still there.
      await compose(['restart', 'analyzer']);
      await waitHealthy(longRunning, 120_000);
      await waitFor(async () => (JSON.parse(await cli(['health', 'gpu-node-02', '--gpu', '3', '-o', 'json'])) as NodeJson).gpus[0]?.state === 'unhealthy', 60_000, 'the Xid 79 finding survives an analyzer restart');
      // After the "repair", a clear makes the GPU healthy again and is recorded.
      log((await cli(['health', 'clear', 'gpu-node-02', '--gpu', '3', '--reason', 'e2e: GPU 3 reseated'])).trim());
      const after = JSON.parse(await cli(['health', 'gpu-node-02', '--gpu', '3', '-o', 'json'])) as NodeJson;
      assert.equal(after.gpus[0]?.state, 'healthy', JSON.stringify(after.gpus[0]?.reasons));
    });

    const pendingMarker = `pending-${randomUUID()}`;
    await phase('pending', async () => {
      const fail = await fetch(`${sink}/control/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 503 }) });
      assert.equal(fail.status, 200);
      const status = await postWebhook(pendingMarker, 'gpu-node-04');
      assert.ok(status >= 200 && status < 300, `the relay accepts the webhook (HTTP ${status})`);
      await waitFor(async () => (await sinkMessages(true)).some((m) => m.status === 503 && slackText(m.body).includes(pendingMarker)), 60_000, 'a delivery attempt meets the Slack outage');
      log('accepted by the relay, refused by "Slack": the notification is pending in the relay\'s queue');
    });

    await recordServed(); // the counters start again with each gateway restart
    await phase('restart', async () => {
      await compose(['down']);
      const left = await containers();
      assert.equal(left.size, 0, 'down removes every container');
      await compose(['up', '-d', '--no-build', ...services]);
      const s = await waitHealthy(longRunning, 240_000);
      log(`healthy again ${s.toFixed(1)} s after up returned`);
      const shown = JSON.parse(await cli(['config', 'show', '-o', 'json'])) as { revision: number; config: { alerts: { presets: string[] }; nodes: Array<{ name: string }>; notifications: { slack?: { channel?: string } } } };
      assert.equal(shown.revision, revisionBefore, 'config revision unchanged');
      assert.deepEqual(shown.config.nodes.map((n) => n.name), NODES, 'nodes kept');
      assert.ok(shown.config.alerts.presets.includes('gpu-production'), 'preset kept');
      assert.equal(shown.config.notifications.slack?.channel, '#gpu-alerts', 'Slack settings kept');
      const rules = await promRules();
      assert.ok(rules.includes('GPUXidError') && rules.includes('GPUMemoryLeak'), 'rules loaded from the kept generated files');
      await waitFor(() => delivered(pendingMarker), 120_000, 'the notification pending before the restart is delivered after it');
      log('config, nodes, rules and the pending notification all survived down/up');
    });

    await recordServed();
    await phase('single restarts', async () => {
      const worst: Array<[string, number]> = [];
      for (const svc of longRunning) {
        // A webhook accepted just before the restart must still be delivered afterwards.
        const marker = `restart-${svc}-${randomUUID()}`;
        const status = await postWebhook(marker, 'gpu-node-03');
        assert.ok(status >= 200 && status < 300, `relay accepts before restarting ${svc} (HTTP ${status})`);
        // The sink keeps what it received in memory only: let it take the message before it restarts.
        if (svc === 'slack-sink') await waitFor(() => delivered(marker), 120_000, 'the probe reaches the sink before the sink restarts');
        const start = Date.now();
        await compose(['restart', svc]);
        await waitHealthy(longRunning, 120_000);
        const s = (Date.now() - start) / 1000;
        worst.push([svc, s]);
        log(`restart ${svc}: whole stack healthy ${s.toFixed(1)} s after the restart began`);
        if (svc !== 'slack-sink') await waitFor(() => delivered(marker), 120_000, `the webhook accepted before restarting ${svc} is delivered`);
      }
      const slow = worst.filter(([, s]) => s > SINGLE_RESTART_BUDGET_S);
      assert.deepEqual(slow, [], `every single-service restart is healthy within ${SINGLE_RESTART_BUDGET_S} s`);
      const shown = JSON.parse(await cli(['config', 'show', '-o', 'json'])) as { revision: number };
      assert.equal(shown.revision, revisionBefore, 'config untouched by the restarts');
    });

    await phase('leaks', async () => {
      const secrets = new Map<string, string>([
        ['admin token', ADMIN_TOKEN],
        ['relay token', await relayToken()],
        ['Slack webhook secret', SINK_SECRET],
        ...(await Promise.all(['service-token', 'redis-password', 'prometheus-password', 'alertmanager-password'].map(async (f) => [f, (await compose(['exec', '-T', 'api-gateway', 'cat', `/var/lib/aami/secrets/${f}`])).trim()] as [string, string]))),
      ]);
      const places = new Map<string, string>([
        ['config.yaml', await compose(['exec', '-T', 'api-gateway', 'cat', '/var/lib/aami/config.yaml'])],
        // AAMI's services and the third-party parts (the demo's Slack sink logs what it receives).
        ['the logs', await compose(['logs', '--no-color', ...AAMI_SERVICES, 'aami-init', 'redis', 'prometheus', 'alertmanager'])],
      ]);
      for (const [place, text] of places) for (const [name, value] of secrets) assert.ok(value.length >= 8 && !text.includes(value), `the ${name} is in ${place}`);
      log(`none of ${secrets.size} secrets is in config.yaml or in ${places.get('the logs')!.split('\n').length} log lines`);
    });

    await phase('memory', async () => {
      await sleep(15_000); // idle: no requests from us, only scrapes and healthchecks
      const ids = await containers();
      const stats = (await docker(['stats', '--no-stream', '--format', '{{.Container}} {{.MemUsage}}', ...ids.values()])).split('\n').filter(Boolean);
      const bytes = (s: string): number => {
        const m = /^([\d.]+)\s*([KMGT]?i?B)$/.exec(s.trim());
        if (!m) return NaN;
        const mult: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
        return Number(m[1]) * (mult[m[2]!] ?? NaN);
      };
      const byService = new Map<string, number>();
      for (const line of stats) {
        const [id, usage] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1).split('/')[0]!];
        const svc = [...ids].find(([, cid]) => cid.startsWith(id) || id.startsWith(cid.slice(0, 12)))?.[0] ?? id;
        byService.set(svc, bytes(usage));
      }
      const mb = (b: number) => b / 1024 / 1024;
      for (const [svc, b] of [...byService].sort()) log(`${svc.padEnd(20)} ${mb(b).toFixed(1).padStart(7)} MiB${AAMI_SERVICES.includes(svc) ? '  (AAMI)' : ''}`);
      const aami = AAMI_SERVICES.reduce((sum, s) => sum + (byService.get(s) ?? NaN), 0);
      const all = [...byService.values()].reduce((a, b) => a + b, 0);
      log(`AAMI services together: ${mb(aami).toFixed(1)} MiB (budget ${MEMORY_BUDGET_MB} MB); whole stack with Prometheus, Alertmanager, Redis and the demo: ${mb(all).toFixed(1)} MiB`);
      await writeFile(join(tmpdir(), `${PROJECT}-memory.txt`), `${[...byService].map(([s, b]) => `${s} ${b}`).join('\n')}\n`);
      assert.ok(aami < MEMORY_BUDGET_MB * 1e6, `AAMI services use ${mb(aami).toFixed(1)} MiB, more than ${MEMORY_BUDGET_MB} MB`);
    });
    await phase('coverage', async () => {
      // Every route the OpenAPI document declares was called during this run, by the CLI, the Web
      // UI or a portal-style call, as the gateway's own request counter saw it.
      await recordServed();
      const doc = (await (await fetch(`${api}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const declared = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      const missing = declared.filter((d) => !routeServed(d, served));
      log(`${declared.length - missing.length} of ${declared.length} declared routes called; the gateway served ${served.size} method + route pairs`);
      assert.deepEqual(missing, [], `routes in the OpenAPI document that this run never called:\n  ${missing.join('\n  ')}`);
    });
    ok = true;
  } finally {
    if (!ok) {
      process.stdout.write('\n== logs (last lines of each service)\n');
      process.stdout.write(await compose(['logs', '--no-color', '--tail=60'], { allowFail: true }));
      process.stdout.write(`health: ${[...(await health().catch(() => new Map<string, string>()))].map(([s, h]) => `${s}=${h}`).join(' ')}\n`);
    }
    if (process.env['AAMI_E2E_KEEP'] === '1') {
      log(`AAMI_E2E_KEEP=1: stack left running (project ${PROJECT}); gateway ${api}, token ${ADMIN_TOKEN}`);
    } else {
      await phase('cleanup', async () => {
        await docker(['rm', '-f', NODE_CONTAINER]).catch(() => '');
        await compose(['down', '-v', '--remove-orphans'], { allowFail: !ok });
        if (ok) {
          const volumes = (await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`])).trim();
          assert.equal(volumes, '', 'down -v removes the volumes');
          assert.equal((await containers()).size, 0, 'no container left');
        }
      });
    }
    process.stdout.write(`\n== timings\n${timings.map(([n, s]) => `   ${n.padEnd(16)} ${s.toFixed(1).padStart(7)} s`).join('\n')}\n`);
  }
}

main().then(
  () => process.stdout.write('\ne2e: PASS\n'),
  (err: Error) => {
    process.stderr.write(`\ne2e: FAIL: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
