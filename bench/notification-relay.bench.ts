// Benchmark of the notification relay's webhook fast path (`make bench`). Starts a real Redis
// (append-only, fsync always: what 2xx-means-durable costs), the relay as its own process with its
// workers on, and a bare node:http server as the peer that answers 200 without enqueueing. Drives
// each for ~10 s with autocannon on loopback using a realistic one-alert Alertmanager payload
// (a unique fingerprint per request), and prints req/s, p99 and the relay/peer ratio.
//
//   node bench/notification-relay.bench.ts [--duration 10] [--connections 10] [--workers on|off]
// (--workers off measures an HTTP-only relay replica, with delivery in another process.)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, makeTempDir, startRedis, waitFor, httpOk } from '../integration-tests/src/harness/index.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' }, workers: { type: 'string', default: 'on' } } });
const workers = values.workers === 'off' ? 'off' : 'on';
const duration = Number(values.duration);
const connections = Number(values.connections);
const root = join(import.meta.dirname, '..');
const token = 'bench-token-0123456789';
const serviceToken = 'bench-service-token-0123456789';

const payload = JSON.parse(readFileSync(join(root, 'services/notification-relay/src/domain/testdata/webhook-xid79.json'), 'utf8')) as { alerts: Array<{ fingerprint: string; labels: Record<string, string> }> };
payload.alerts[0]!.fingerprint = '[<id>]';
payload.alerts[0]!.labels.node = 'gpu-node-[<id>]';
const body = JSON.stringify(payload);

const BARE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"accepted","alerts":1}'); });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1');
`;

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(t);
}

/** CPU time (user + system) a child has used so far, in ms, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

interface Row {
  name: string;
  cpuPerReq: number;
  redisCpuPerReq: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

async function drive(name: string, url: string, headers: Record<string, string>, pid: number | undefined): Promise<Row> {
  // Warm up (JIT, connections, Redis script cache) before measuring.
  await autocannon({ url, method: 'POST', headers, body, idReplacement: true, connections, duration: 2 });
  const cpu0 = cpuMs(pid);
  const redis0 = cpuMs(redis.daemon.pid);
  const r = await autocannon({ url, method: 'POST', headers, body, idReplacement: true, connections, duration });
  const n = Math.max(1, r.requests.total);
  const cpuPerReq = (cpuMs(pid) - cpu0) / n;
  const redisCpuPerReq = (cpuMs(redis.daemon.pid) - redis0) / n;
  return { name, cpuPerReq, redisCpuPerReq, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, total: r.requests.total };
}

const redis = await startRedis();
const dir = await makeTempDir('bench-relay');
const barePort = await freePort();
const relayPort = await freePort();
const bare = start(['-e', BARE], { PORT: String(barePort) });
const configPath = join(dir, 'config.yaml');
// Slack goes to the bare server (it answers 200 like Slack): the workers deliver for real while
// the webhook is measured; storm grouping keeps that to a few summary posts per window.
await writeFile(configPath, `revision: 1\nnotifications:\n  slack:\n    webhook_url: http://127.0.0.1:${barePort}/services/T/B/bench\n  routing: {critical: [slack], warning: [slack], info: []}\n`);
const relay = start(['services/notification-relay/src/main.ts'], {
  AAMI_REDIS_URL: redis.url,
  AAMI_CONFIG: configPath,
  AAMI_RELAY_PORT: String(relayPort),
  AAMI_RELAY_TOKEN: token,
  AAMI_SERVICE_TOKEN: serviceToken,
  // The bench measures throughput far past the default intake cap.
  AAMI_RELAY_INTAKE_PER_MINUTE: '0',
  AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE: '0',
  AAMI_RELAY_QUEUE_PREFIX: 'bench',
  AAMI_LOG_LEVEL: 'error',
  AAMI_RELAY_WORKERS: workers,
});
try {
  await waitFor(() => httpOk(`http://127.0.0.1:${relayPort}/readyz`), 20_000, 'relay');
  await waitFor(() => new Promise((r) => fetch(`http://127.0.0.1:${barePort}/`, { method: 'POST', body: '{}' }).then((x) => r(x.ok), () => r(false))), 10_000, 'bare server');

  const relayRow = await drive('relay (validate + durable enqueue)', `http://127.0.0.1:${relayPort}/alertmanager/webhook`, { 'content-type': 'application/json', authorization: `Bearer ${token}` }, relay.pid);
  const status = (await (await fetch(`http://127.0.0.1:${relayPort}/api/v1/notifications/status`, { headers: { authorization: `Bearer ${serviceToken}` } })).json()) as { channels: { slack: { queued: number; sent: number; grouped: number } } };
  const rows = [
    relayRow,
    await drive('bare node:http (answers 200, no work)', `http://127.0.0.1:${barePort}/alertmanager/webhook`, { 'content-type': 'application/json' }, bare.pid),
  ];
  const [r, b] = rows as [Row, Row];
  if (relay.exitCode !== null || relay.signalCode !== null) throw new Error(`the relay exited during the run (${relay.exitCode ?? relay.signalCode})`);
  console.log(`\nnotification-relay webhook bench: ${duration} s, ${connections} connections, 1-alert payload (${body.length} bytes), loopback, relay workers ${workers}`);
  console.log(`machine: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (1/5/15 min) on ${availableParallelism()} CPUs; Redis appendfsync always`);
  console.log('name'.padEnd(40), 'req/s'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'non-2xx'.padStart(8), 'errors'.padStart(7), 'server CPU ms/req'.padStart(18), 'redis CPU ms/req'.padStart(17));
  for (const x of rows) console.log(x.name.padEnd(40), x.rps.toFixed(0).padStart(9), String(x.p50).padStart(8), String(x.p99).padStart(8), String(x.non2xx).padStart(8), String(x.errors).padStart(7), x.cpuPerReq.toFixed(3).padStart(18), x.redisCpuPerReq.toFixed(3).padStart(17));
  console.log(`relay/bare: ${(r.rps / b.rps).toFixed(2)}x req/s, p99 ${(r.p99 / Math.max(b.p99, 1)).toFixed(1)}x`);
  const s = status.channels.slack;
  console.log(`deliveries at the end of the relay run: ${s.sent} Slack messages sent, ${s.grouped} alerts grouped into storm summaries, ${s.queued} still queued (drained after the run)`);
  console.log(`target: >= 2000 req/s with p99 < 25 ms -> ${r.rps >= 2000 && r.p99 < 25 && r.non2xx === 0 && r.errors === 0 ? 'met' : 'NOT met'}`);
} finally {
  await stop(relay);
  await stop(bare);
  await redis.stop();
  await rm(redis.daemon.dir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
}
