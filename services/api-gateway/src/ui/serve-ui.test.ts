import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { ErrorEnvelope } from '@aami/shared';
import { uiRouter, UI_DIR, UI_SECURITY_HEADERS } from './serve-ui.ts';

let server: Server;
let base: string;

before(async () => {
  const app = express();
  const ui = uiRouter();
  app.use(ui);
  app.use((_req, res) => { res.status(404).json({ error: { code: 'not_found', message: 'next handler', details: [] } }); });
  await ui.ready;
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('serves the page, the bundle, the stylesheet and the icon with their types', async () => {
  const cases: Array<[string, RegExp]> = [['/', /^text\/html/], ['/index.html', /^text\/html/], ['/app.js', /^text\/javascript/], ['/styles.css', /^text\/css/], ['/favicon.svg', /^image\/svg\+xml/]];
  for (const [path, type] of cases) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', type, path);
    assert.ok((await res.text()).length > 0, path);
  }
});

test('every UI response carries the strict CSP, DENY framing and no-referrer', async () => {
  for (const path of ['/', '/app.js', '/styles.css']) {
    const res = await fetch(`${base}${path}`);
    for (const [name, value] of Object.entries(UI_SECURITY_HEADERS)) assert.equal(res.headers.get(name), value, `${path} ${name}`);
  }
  const csp = UI_SECURITY_HEADERS['Content-Security-Policy'] ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
});

test('the bundle is one self-contained ES module: no imports, no outside URLs, no HTML parsing of data', async () => {
  const js = await (await fetch(`${base}/app.js`)).text();
  assert.doesNotMatch(js, /^\s*import\s|\bimport\(/m, 'everything is bundled');
  // The only URLs: SVG's namespace name (createElementNS takes it; never fetched) and the example
  // shown in the Slack webhook field (a placeholder, never fetched).
  assert.deepEqual([...new Set(js.match(/https?:\/\/[^\s'"`]+/g) ?? [])].sort(), ['http://www.w3.org/2000/svg', 'https://hooks.slack.com/services/\\u2026'], 'no outside URL');
  assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  const html = await (await fetch(`${base}/`)).text();
  assert.doesNotMatch(html, /<script>|\bon[a-z]+=|style=/i, 'no inline script, handler or style in the page');
});

test('HEAD answers without a body; other paths fall through to the next handler', async () => {
  const head = await fetch(`${base}/app.js`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const other = await fetch(`${base}/not-a-ui-file.js`);
  assert.equal(other.status, 404);
  assert.equal(ErrorEnvelope.parse(await other.json()).error.message, 'next handler');
});

test('a UI that does not compile: ready rejects with esbuild\'s message, requests get an error, nothing crashes', async () => {
  // A copy of the UI whose entry does not compile (made at run time: a broken .ts in the tree would
  // fail the repo's typecheck and lint).
  const dir = await mkdtemp(join(tmpdir(), 'aami-broken-ui-'));
  await cp(UI_DIR, dir, { recursive: true });
  await writeFile(join(dir, 'src', 'main.ts'), 'const x: number = ;\nexport default x;\n');
  const broken = uiRouter(`${dir}/`);
  await assert.rejects(broken.ready, /Expected|Unexpected|error/i);
  const app = express();
  app.use(broken);
  let seen: unknown;
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => { seen = err; res.status(500).end(); });
  const s = app.listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const addr = s.address();
  const res = await fetch(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/app.js`);
  assert.equal(res.status, 500);
  assert.match((seen as Error).message, /the Web UI could not be built/);
  await new Promise<void>((r) => s.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});
