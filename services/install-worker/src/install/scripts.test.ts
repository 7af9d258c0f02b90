import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildDesired } from './desired.ts';
import { makePlan } from './plan.ts';
import { applyScript, uninstallScript, verifyArgs } from './scripts.ts';
import { facts, fakeStore, nodeFiles } from './testdata/fake-node.ts';

const bashSyntaxOk = (script: string) => execFileSync('bash', ['-n'], { input: script }).toString() === '';

test('generated scripts are valid bash, install by copy+rename and quote every path', async () => {
  const d = await buildDesired(facts(), { store: fakeStore({ node_exporter: ['1.5.0', "it's a binary"] }), nodeFiles });
  assert.ok(d.ok);
  const plan = makePlan(facts(), d.desired, 'r1');
  const script = applyScript(plan);
  assert.ok(bashSyntaxOk(script));
  assert.match(script, /cp "\$stage\/f0" '\/usr\/local\/bin\/node_exporter\.aami-new' && chown root:root .* && mv -f '\/usr\/local\/bin\/node_exporter\.aami-new' '\/usr\/local\/bin\/node_exporter'/);
  assert.match(script, /systemctl enable --quiet 'aami-node-exporter\.service' 'aami-xid-counter\.timer'/);
  assert.match(script, /if ! systemctl start 'aami-xid-counter\.service'; then echo "unit-failed/);
  assert.match(script, /\/etc\/aami\/installed\.json/);
  assert.ok(bashSyntaxOk(uninstallScript(['/opt/x y'], ['extra.service'])));
  assert.ok(bashSyntaxOk(readFileSync(new URL('./scripts/verify.sh', import.meta.url), 'utf8')));
  assert.ok(bashSyntaxOk(readFileSync(new URL('./scripts/probe.sh', import.meta.url), 'utf8')));
  assert.equal(verifyArgs(5, ['a.service'], [{ port: 9100, expect: 'node_exporter_build_info' }]), "'5' 'u:a.service' 'm:9100:node_exporter_build_info'");
});

test('the verify script, run for real, fails on a unit that is not active and on a port that does not answer', () => {
  const script = readFileSync(new URL('./scripts/verify.sh', import.meta.url), 'utf8');
  let out = '';
  let code = 0;
  try {
    out = execFileSync('bash', ['-s', '--', '0', 'u:aami-no-such.service', 'm:1:x'], { input: script, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
  } catch (err) {
    const e = err as { status: number; stdout: Buffer };
    code = e.status;
    out = e.stdout.toString();
  }
  assert.equal(code, 1);
  assert.match(out, /^unit aami-no-such\.service \S+$/m);
  assert.match(out, /^metrics 1 fail no answer$/m);
});
