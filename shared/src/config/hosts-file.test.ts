import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostsFile } from './hosts-file.ts';

test('parses name/ip lines, skipping comments and blank lines, applying defaults', () => {
  const r = parseHostsFile('# rack 1\n\ngpu-node-01 192.168.1.101\ngpu-node-02   192.168.1.102  rack=r1 # trailing\n', { ssh_user: 'root', ssh_key: '/k' });
  assert.deepEqual(r.errors, []);
  assert.equal(r.nodes.length, 2);
  assert.deepEqual(r.nodes[1], { name: 'gpu-node-02', ip: '192.168.1.102', labels: { rack: 'r1' }, ssh_user: 'root', ssh_key: '/k' });
});

test('reports every bad line with its number: bad IP, missing field, duplicate name, duplicate IP', () => {
  const text = ['a 10.0.0.1', 'b 10.0.0.300', 'c', 'a 10.0.0.4', 'd 10.0.0.1', 'e 10.0.0.5'].join('\n');
  const r = parseHostsFile(text);
  assert.deepEqual(r.errors.map((e) => e.line), [2, 3, 4, 5]);
  assert.match(r.errors[0]!.message, /10\.0\.0\.300.*not a valid IP/);
  assert.match(r.errors[1]!.message, /missing IP/);
  assert.match(r.errors[2]!.message, /duplicate node name "a"/);
  assert.match(r.errors[3]!.message, /duplicate address 10\.0\.0\.1/);
  assert.deepEqual(r.nodes.map((n) => n.name), ['a', 'e']);
});

test('a node already in the config counts as a duplicate', () => {
  const r = parseHostsFile('x 10.9.9.9\n', {}, [{ name: 'x', ip: '10.1.1.1', labels: {} }]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.message, /already configured/);
});
