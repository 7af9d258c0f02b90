import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ConfigStore, parseConfigText } from './store.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';

async function freshStore(initial: unknown = { cluster: { name: 'test' } }): Promise<ConfigStore> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-store-'));
  const store = new ConfigStore(join(dir, 'config.yaml'), { logger: captureLogger() });
  await store.create(initial);
  return store;
}

test('a write bumps the revision and a write on a stale revision is refused with 409', async () => {
  const store = await freshStore();
  const first = await store.read();
  assert.equal(first.revision, 1);
  const second = await store.update((c) => { c.nodes.push({ name: 'a', ip: '10.0.0.1', labels: {} }); }, { expectedRevision: 1 });
  assert.equal(second.revision, 2);
  await assert.rejects(
    store.update((c) => { c.nodes.push({ name: 'b', ip: '10.0.0.2', labels: {} }); }, { expectedRevision: 1 }),
    (err: unknown) => err instanceof ConflictError && err.status === 409 && /revision 1.*revision 2/.test(err.message),
  );
  assert.deepEqual((await store.read()).config.nodes.map((n) => n.name), ['a']);
});

test('20 concurrent updates in one process lose nothing', async () => {
  const store = await freshStore();
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.update((c) => { c.nodes.push({ name: `n${i}`, ip: `10.0.1.${i}`, labels: {} }); })));
  const { config, revision } = await store.read();
  assert.equal(config.nodes.length, 20);
  assert.equal(revision, 21);
});

test('concurrent updates from separate processes lose nothing (the lock holds across processes)', async () => {
  const store = await freshStore();
  const script = `
    import { ConfigStore } from ${JSON.stringify(new URL('./store.ts', import.meta.url).href)};
    const s = new ConfigStore(process.argv[1]);
    const i = Number(process.argv[2]);
    for (let k = 0; k < 5; k++) await s.update((c) => { c.nodes.push({ name: 'p' + i + '-' + k, ip: '10.2.' + i + '.' + k, labels: {} }); });
  `;
  await Promise.all(Array.from({ length: 4 }, (_, i) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, store.path, String(i)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${i} exited ${code}: ${err}`))));
  })));
  const { config, revision } = await store.read();
  assert.equal(config.nodes.length, 20);
  assert.equal(revision, 21);
});

test('${VAR} references stay verbatim in the file after an unrelated write', async () => {
  const store = await freshStore({ notifications: { slack: { webhook_url: '${SLACK_WEBHOOK_URL}', channel: '#gpu' } } });
  await store.update((c) => { c.nodes.push({ name: 'gpu-1', ip: '10.0.0.9', labels: {} }); });
  const text = await readFile(store.path, 'utf8');
  assert.match(text, /webhook_url: \$\{SLACK_WEBHOOK_URL\}/);
  assert.equal((await store.read()).config.notifications.slack?.webhook_url, '${SLACK_WEBHOOK_URL}');
});

test('an invalid result is refused, names the YAML path, and leaves the file untouched', async () => {
  const store = await freshStore();
  const before = await readFile(store.path, 'utf8');
  await assert.rejects(
    store.update((c) => { c.nodes.push({ name: 'ok', ip: '10.0.0.1', labels: {} }, { name: 'bad', ip: '999.1.1.1', labels: {} }); }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'nodes[1].ip'),
  );
  assert.equal(await readFile(store.path, 'utf8'), before);
  const files = await readdir(join(store.path, '..'));
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
});

test('unknown keys are errors that name the key', () => {
  assert.throws(
    () => parseConfigText('cluster:\n  name: x\nnodes:\n  - name: a\n    ip: 10.0.0.1\n    ssh_usr: root\n'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'nodes[0].ssh_usr' && d.message === 'unknown key'),
  );
});

test('YAML syntax errors name the line', () => {
  assert.throws(
    () => parseConfigText('cluster:\n  name: x\nnodes: [\n'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => typeof d.line === 'number'),
  );
});

test('duplicate node names and addresses are refused with both places named', () => {
  assert.throws(
    () => parseConfigText('nodes:\n  - {name: a, ip: 10.0.0.1}\n  - {name: a, ip: 10.0.0.1}\n'),
    (err: unknown) => err instanceof ValidationError
      && err.details.some((d) => d.path === 'nodes[1].name' && /nodes\[0\]/.test(d.message))
      && err.details.some((d) => d.path === 'nodes[1].ip'),
  );
});

test('a hand-edited file is read as written', async () => {
  const store = await freshStore();
  await writeFile(store.path, 'revision: 7\ncluster:\n  name: hand\n');
  const snap = await store.read();
  assert.equal(snap.revision, 7);
  assert.equal(snap.config.cluster.name, 'hand');
});

/** A logger that keeps every line (message and fields) as text. */
function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => { lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`); };
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

const SLACK_URL = 'https://hooks.slack.example/services/T0/B0/store-test-webhook-3b7';
const SMTP_PASSWORD = 'store-test-smtp-password-8c1';

test('a literal webhook URL or SMTP password written through the store lands in secrets.json (0600), config.yaml gets the reference', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-store-'));
  const logger = captureLogger();
  const store = new ConfigStore(join(dir, 'config.yaml'), { logger });
  await store.create({ notifications: { slack: { webhook_url: SLACK_URL } } });
  await store.update((c) => { c.notifications.email = { enabled: true, smtp_host: 'smtp.example.com', smtp_port: 587, tls: 'starttls', from: 'a@example.com', to: ['b@example.com'], password: SMTP_PASSWORD }; });
  const text = await readFile(store.path, 'utf8');
  assert.ok(!text.includes(SLACK_URL) && !text.includes(SMTP_PASSWORD), 'no secret in config.yaml');
  assert.match(text, /webhook_url: \$\{secret:slack_webhook\}/);
  assert.match(text, /password: \$\{secret:smtp_password\}/);
  assert.deepEqual({ ...(await store.secrets.read()) }, { slack_webhook: SLACK_URL, smtp_password: SMTP_PASSWORD });
  assert.equal(store.secrets.path, join(dir, 'secrets.json'));
  assert.equal((await stat(store.secrets.path)).mode & 0o777, 0o600);
  assert.ok(logger.lines.every((l) => !l.includes(SLACK_URL) && !l.includes(SMTP_PASSWORD)), 'no value in the log');
});

test('a config.yaml holding literals is migrated by its first write: values move, the log names the fields only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-store-'));
  const path = join(dir, 'config.yaml');
  // As an older AAMI (or a hand edit) left it.
  await writeFile(path, `revision: 4
cluster:
  name: old
notifications:
  slack:
    webhook_url: ${SLACK_URL}
  email:
    smtp_host: smtp.example.com
    from: a@example.com
    to: [b@example.com]
    username: \${SMTP_USER}
    password: ${SMTP_PASSWORD}
`);
  const logger = captureLogger();
  const store = new ConfigStore(path, { logger });
  assert.equal((await store.read()).config.notifications.slack?.webhook_url, SLACK_URL, 'reading alone changes nothing');
  await assert.rejects(stat(store.secrets.path), { code: 'ENOENT' });

  await store.update((c) => { c.nodes.push({ name: 'gpu-1', ip: '10.0.0.1', labels: {} }); });
  const text = await readFile(path, 'utf8');
  assert.ok(!text.includes(SLACK_URL) && !text.includes(SMTP_PASSWORD), 'the literals are gone from config.yaml');
  const { config } = await store.read();
  assert.equal(config.notifications.slack?.webhook_url, '${secret:slack_webhook}');
  assert.equal(config.notifications.email?.password, '${secret:smtp_password}');
  assert.equal(config.notifications.email?.username, '${SMTP_USER}', '${VAR} references are not touched');
  assert.equal(await store.secrets.get('slack_webhook'), SLACK_URL);
  assert.equal(await store.secrets.get('smtp_password'), SMTP_PASSWORD);
  assert.equal((await stat(store.secrets.path)).mode & 0o777, 0o600);

  const migration = logger.lines.filter((l) => l.includes('plain text'));
  assert.equal(migration.length, 1, `one migration line in ${JSON.stringify(logger.lines)}`);
  assert.match(migration[0] ?? '', /notifications\.slack\.webhook_url -> \$\{secret:slack_webhook\}/);
  assert.match(migration[0] ?? '', /notifications\.email\.password -> \$\{secret:smtp_password\}/);
  assert.ok(logger.lines.every((l) => !l.includes(SLACK_URL) && !l.includes(SMTP_PASSWORD)), 'no value in the log');

  await store.update((c) => { c.nodes.push({ name: 'gpu-2', ip: '10.0.0.2', labels: {} }); });
  assert.equal(logger.lines.filter((l) => l.includes('plain text')).length, 1, 'nothing left to migrate');
});

test('${VAR} and mixed values stay as written and nothing creates secrets.json for them', async () => {
  const store = await freshStore({ notifications: { slack: { webhook_url: '${SLACK_WEBHOOK_URL}' }, email: { smtp_host: 'smtp.example.com', from: 'a@example.com', to: ['b@example.com'], password: 'pre-${SMTP_TAIL}' } } });
  await store.update((c) => { c.nodes.push({ name: 'gpu-1', ip: '10.0.0.1', labels: {} }); });
  const { config } = await store.read();
  assert.equal(config.notifications.slack?.webhook_url, '${SLACK_WEBHOOK_URL}');
  assert.equal(config.notifications.email?.password, 'pre-${SMTP_TAIL}');
  await assert.rejects(stat(store.secrets.path), { code: 'ENOENT' });
});

test('a stored secret nothing refers to any more is removed; one added by hand under another name stays', async () => {
  const store = await freshStore({ notifications: { slack: { webhook_url: SLACK_URL }, email: { smtp_host: 'smtp.example.com', from: 'a@example.com', to: ['b@example.com'], password: SMTP_PASSWORD } } });
  await store.secrets.set('by_hand', 'kept');
  await store.update((c) => { delete c.notifications.email; });
  assert.equal(await store.secrets.has('smtp_password'), false, 'the removed channel took its secret along');
  assert.equal(await store.secrets.get('slack_webhook'), SLACK_URL);
  await store.update((c) => { c.notifications.slack = { enabled: true, webhook_url: '${SLACK_WEBHOOK_URL}' }; });
  assert.equal(await store.secrets.has('slack_webhook'), false, 'switching to ${VAR} drops the stored URL');
  assert.equal(await store.secrets.get('by_hand'), 'kept');
});

test('the schema takes a ${secret:name} reference where it takes a webhook URL, and refuses a malformed one', () => {
  assert.equal(parseConfigText('notifications:\n  slack:\n    webhook_url: ${secret:slack_webhook}\n').notifications.slack?.webhook_url, '${secret:slack_webhook}');
  assert.throws(
    () => parseConfigText('notifications:\n  slack:\n    webhook_url: ${secret:}\n'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'notifications.slack.webhook_url' && /\$\{secret:name\}/.test(d.message)),
  );
});

test('a broken secrets.json refuses a write that would store a secret (config.yaml untouched) but not one that stores none', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-store-'));
  const logger = captureLogger();
  const store = new ConfigStore(join(dir, 'config.yaml'), { logger });
  await store.create({ cluster: { name: 'x' } });
  await writeFile(store.secrets.path, '{ not json', { mode: 0o600 });
  const before = await readFile(store.path, 'utf8');
  await assert.rejects(store.update((c) => { c.notifications.slack = { enabled: true, webhook_url: SLACK_URL }; }), ValidationError);
  assert.equal(await readFile(store.path, 'utf8'), before, 'no reference to a secret that was never stored');
  const snap = await store.update((c) => { c.nodes.push({ name: 'gpu-1', ip: '10.0.0.1', labels: {} }); });
  assert.equal(snap.revision, 2);
  assert.ok(logger.lines.some((l) => l.startsWith('warn cannot remove unused values from secrets.json')));
});
