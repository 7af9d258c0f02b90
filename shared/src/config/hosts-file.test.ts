import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
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

test('reads pathological 1 MB files in well under a second and still finds the host on each line', () => {
  // a comment or blanks before a character that `.` or `\s` treat differently: a regex like /#.*$/
  // rescans the rest of the line from every '#' (O(n^2) per line)
  const megabyte = (line: string): string => line.repeat(Math.ceil(2 ** 20 / line.length));
  const cases: Record<string, string> = {
    "'#' runs then \\u2028": megabyte(`a 10.0.0.1 ${'#'.repeat(4000)}\u2028x\n`),
    "'#' runs then \\r": megabyte(`a 10.0.0.1 #${'#'.repeat(4000)}\r#\n`),
    'blanks then \\u2028': megabyte(`a${' \t'.repeat(2000)}10.0.0.1${' '.repeat(2000)}\u2028\r\n`),
    'one huge line': `a 10.0.0.1 rack=r1 ${'#'.repeat(2 ** 20)}\u2028\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    const t0 = performance.now();
    const r = parseHostsFile(text);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `${name}: ${Math.round(ms)} ms`);
    const lines = text.split('\n').length - 1;
    // every line names the same host: the first is a node, the others duplicates
    assert.deepEqual(r.nodes.map((n) => [n.name, n.ip]), [['a', '10.0.0.1']], name);
    assert.equal(r.errors.length, lines - 1, name);
  }
});

test('quotes at most 80 characters of a bad line or column in its error', () => {
  const long = 'x'.repeat(2 ** 20);
  const r = parseHostsFile(`${long}\na 10.0.0.1 ${long}\n${long}. 10.0.0.2\n`);
  assert.deepEqual(r.errors.map((e) => e.line), [1, 2, 3]);
  for (const e of r.errors) assert.ok(e.message.length < 300, `${e.message.length} characters`);
  assert.match(r.errors[0]!.message, /^expected "name ip", got "x{80}…" \(missing IP address\)$/);
});
