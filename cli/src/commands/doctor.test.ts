import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { DoctorFinding, DoctorResponse } from '@aami/shared';
import { renderDoctor, renderFinding } from './doctor.ts';

const MAIN = new URL('../main.ts', import.meta.url).pathname;
const run = promisify(execFile);

function answer(findings: DoctorFinding[]): DoctorResponse {
  const counts = { ok: 0, warning: 0, critical: 0 };
  for (const x of findings) counts[x.severity]++;
  const severity = counts.critical ? 'critical' : counts.warning ? 'warning' : 'ok';
  return { checked_at: '2026-12-04T10:00:00.000Z', duration_ms: 1234, severity, counts, checks: [{ name: 'services', description: 'd', severity, findings: findings.length }], findings };
}

const healthy = answer([{ check: 'services', severity: 'ok', message: 'all 8 parts answer' }]);
const broken = answer([
  { check: 'services', severity: 'ok', message: 'fine' },
  { check: 'dead-letters', severity: 'warning', message: '1 slack notification(s) were given up on', fix: 'aami notifications dead-letters' },
  { check: 'host-keys', severity: 'critical', subject: 'n1', message: 'n1 offers another key\u001b]0;owned\u0007\nsecond line', fix: 'aami nodes trust n1' },
]);

/** The real CLI against a stand-in gateway that answers `body` to GET /api/v1/doctor. */
async function cli(body: unknown, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const server = createServer((req, res) => {
    const ok = req.url === '/api/v1/doctor' && req.headers.authorization === 'Bearer tok';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? body : { error: { code: 'not_found', message: 'no', details: [] } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const env = { ...process.env, AAMI_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, AAMI_TOKEN: 'tok', XDG_CONFIG_HOME: '/nonexistent-aami-test' };
    const { stdout, stderr } = await run(process.execPath, [MAIN, 'doctor', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  } finally {
    server.close();
  }
}

describe('aami doctor', () => {
  it('prints one line per finding, worst first, with its mark and fix, inert to terminal escapes', () => {
    const lines = renderDoctor(broken).split('\n');
    assert.equal(lines[0], '✖ host-keys: n1 offers another key⏎second line — fix: aami nodes trust n1');
    assert.equal(lines[1], '! dead-letters: 1 slack notification(s) were given up on — fix: aami notifications dead-letters');
    assert.equal(lines[2], '✔ services: fine');
    assert.equal(lines.at(-1), 'To fix: 1 critical, 1 warning; 1 ok (1 checks, 1.2 s).');
    assert.doesNotMatch(renderDoctor(broken), /[\u001b\u0007]|owned/);
    assert.equal(renderFinding({ check: 'c', severity: 'ok', message: 'm' }), '✔ c: m');
  });

  it('exits 0 when nothing is to fix, 1 otherwise, also with --output json', async () => {
    const ok = await cli(healthy);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^✔ services: all 8 parts answer\n\nNothing to fix; 1 ok/);
    const bad = await cli(broken);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^✖ host-keys: /);
    const json = await cli(broken, ['--output', 'json']);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as DoctorResponse).findings.length, 3);
  });

  it('says so when the answer is not a doctor answer', async () => {
    const res = await cli({ findings: 'nope' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /not what this CLI understands/);
  });
});
