// Tests the catalog loader on small fixtures, and the real xid-db/ data against NVIDIA's facts
// (NVIDIA's Xid and SXid tables, kept in testdata/*.tsv, so the test reads nothing outside the repo).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, ValidationError } from '../errors.ts';
import { clearXidCatalogCache, loadXidCatalog, resolveXidDbDir } from './catalog.ts';
import { ruleSeverity, sxidRuleSeverity } from './catalog-schema.ts';

const here = dirname(fileURLToPath(import.meta.url));
const okDir = join(here, 'testdata/catalog-ok');
const badDir = join(here, 'testdata/catalog-bad');
const realDir = resolve(here, '../../../xid-db');

/** Rows of a reference TSV (header dropped), padded to `width` columns. */
function readTsv(name: string, width: number): string[][] {
  return readFileSync(join(here, 'testdata', name), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split('\t');
      while (f.length < width) f.push('');
      return f;
    });
}

describe('loadXidCatalog on fixtures', () => {
  afterEach(() => {
    delete process.env['AAMI_XID_DB_DIR'];
    clearXidCatalogCache();
  });

  it('loads, sorts and looks entries up by code', () => {
    const c = loadXidCatalog({ dir: okDir });
    assert.deepEqual(
      c.xids.map((e) => e.code),
      [5, 13, 79, 145],
    );
    assert.equal(c.getXid(79)?.title, 'GPU has fallen off the bus');
    assert.equal(c.getXid(80), undefined);
    assert.equal(c.getSxid(12028)?.unit, 'Egress');
    assert.equal(c.getXid(13)?.severity_reason, '', 'severity_reason defaults to empty');
    assert.throws(() => c.requireXid(80), NotFoundError);
    assert.throws(() => c.requireSxid(1), NotFoundError);
  });

  it('filters lists by severity', () => {
    const c = loadXidCatalog({ dir: okDir });
    assert.deepEqual(
      c.listXid({ severity: 'critical' }).map((e) => e.code),
      [79],
    );
    assert.deepEqual(
      c.listXid({ severity: 'info' }).map((e) => e.code),
      [5],
    );
    assert.equal(c.listXid().length, 4);
    assert.deepEqual(
      c.listSxid({ severity: 'warning' }).map((e) => e.code),
      [11012],
    );
  });

  it('searches words case-insensitively, title/name hits before text hits', () => {
    const c = loadXidCatalog({ dir: okDir });
    // "bus" is in 79's title and only in 145's causes.
    assert.deepEqual(
      c.searchXid('BUS').map((h) => h.entry.code),
      [79, 145],
    );
    // every word must match somewhere
    assert.deepEqual(
      c.searchXid('fallen bus').map((h) => h.entry.code),
      [79],
    );
    assert.deepEqual(c.searchXid('fallen nvlink'), []);
    // names match word by word (underscores are word breaks)
    assert.deepEqual(
      c.searchXid('rlw').map((h) => h.entry.code),
      [145],
    );
    // actions are searched
    assert.deepEqual(
      c.searchXid('reseat').map((h) => h.entry.code),
      [79],
    );
    // words match at a word start, not inside a word
    assert.deepEqual(c.searchXid('allen'), []);
    assert.deepEqual(c.searchXid('   '), []);
    assert.deepEqual(
      c.searchSxid('ecc').map((h) => h.entry.code),
      [11012],
    );
  });

  it('caches per folder and reloads on request', () => {
    const a = loadXidCatalog({ dir: okDir });
    assert.equal(loadXidCatalog({ dir: okDir }), a);
    assert.notEqual(loadXidCatalog({ dir: okDir, reload: true }), a);
  });

  it('takes the folder from AAMI_XID_DB_DIR', () => {
    process.env['AAMI_XID_DB_DIR'] = okDir;
    assert.equal(resolveXidDbDir(), okDir);
    assert.equal(loadXidCatalog().xids.length, 4);
    delete process.env['AAMI_XID_DB_DIR'];
    assert.equal(resolveXidDbDir(), realDir);
  });

  it('names file, entry, field and line of every problem', () => {
    let err: unknown;
    try {
      loadXidCatalog({ dir: badDir });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ValidationError, 'throws ValidationError');
    const byPath = new Map(err.details.map((d) => [d.path, d]));
    assert.match(byPath.get('xid-001-088.yaml[1].actions')?.message ?? '', /expected array/);
    assert.equal(byPath.get('xid-001-088.yaml[1].actions')?.line, 26);
    assert.match(byPath.get('xid-001-088.yaml[2].code')?.message ?? '', /duplicate Xid 13 \(also at xid-001-088\.yaml\[0\]\)/);
    assert.match(byPath.get('xid-001-088.yaml[3].code')?.message ?? '', /outside this file's range 1-88/);
    assert.ok(byPath.has('xid-001-088.yaml[4].nvidia_immediate_action'));
    assert.match(byPath.get('xid-001-088.yaml[4].extra_field')?.message ?? '', /unknown field/);
    assert.match(err.message, /xid-001-088\.yaml\[1\]\.actions \(line 26\): /);
    assert.equal(err.details.length, 5);
  });

  it('reports a missing folder or missing files', () => {
    assert.throws(() => loadXidCatalog({ dir: join(here, 'testdata/nope') }), ValidationError);
    assert.throws(() => loadXidCatalog({ dir: join(here, 'testdata') }), /no xid-\*\.yaml file found/);
  });
});

describe('xid-db data (the real catalog)', () => {
  const ref = readTsv('xid-catalog.tsv', 6); // code, mnemonic, description, immediate, investigatory, legacy
  const sref = readTsv('sxid-catalog.tsv', 4); // sxid, name, severity, guide

  it('loads without schema errors', () => {
    loadXidCatalog({ dir: realDir, reload: true });
  });

  it('has every Xid 1..176 exactly once and nothing else', () => {
    const c = loadXidCatalog({ dir: realDir });
    const codes = c.xids.map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length, 'no duplicates');
    assert.deepEqual(
      codes,
      Array.from({ length: 176 }, (_, i) => i + 1),
    );
    assert.equal(ref.length, 176);
  });

  it('has every SXid of the Fabric Manager guide, with its name and NVIDIA severity', () => {
    const c = loadXidCatalog({ dir: realDir });
    assert.equal(sref.length, 93);
    for (const [code, name, severity] of sref) {
      const e = c.getSxid(Number(code));
      assert.ok(e, `SXid ${code} is missing`);
      assert.equal(e.name, name, `SXid ${code} name`);
      assert.equal(e.nvidia_severity, severity, `SXid ${code} nvidia_severity`);
    }
    assert.equal(c.sxids.length, sref.length, 'no SXid outside the guide');
  });

  it('matches NVIDIA mnemonics, immediate buckets and unused flags', () => {
    const c = loadXidCatalog({ dir: realDir });
    for (const [code, mnemonic, description, immediate] of ref) {
      const e = c.getXid(Number(code));
      assert.ok(e, `Xid ${code} is missing`);
      assert.equal(e.name, mnemonic, `Xid ${code} name`);
      assert.equal(e.nvidia_immediate_action, immediate, `Xid ${code} nvidia_immediate_action`);
      assert.equal(e.unused, description === 'Unused', `Xid ${code} unused`);
    }
  });

  it('follows the severity rule unless severity_reason says why not', () => {
    const c = loadXidCatalog({ dir: realDir });
    for (const e of c.xids) {
      if (e.severity_reason.trim() !== '') continue;
      assert.equal(e.severity, ruleSeverity(e), `Xid ${e.code}: ${e.nvidia_immediate_action} -> ${ruleSeverity(e)}`);
    }
    for (const e of c.sxids) {
      assert.equal(e.severity, sxidRuleSeverity(e.nvidia_severity), `SXid ${e.code}`);
    }
  });

  it('gives every critical entry actions, and every used Xid causes and actions', () => {
    const c = loadXidCatalog({ dir: realDir });
    for (const e of [...c.xids, ...c.sxids]) {
      if (e.severity === 'critical') assert.ok(e.actions.length > 0, `${e.code} is critical without actions`);
      assert.ok(e.actions.length > 0, `${e.code} has no action`);
    }
    for (const e of c.xids) if (!e.unused) assert.ok(e.causes.length > 0, `Xid ${e.code} has no cause`);
  });

  it("titles Xid 79 'fallen off the bus'", () => {
    assert.match(loadXidCatalog({ dir: realDir }).requireXid(79).title, /fallen off the bus/);
  });
});

describe('severity rule', () => {
  it('maps buckets as the README says', () => {
    assert.equal(ruleSeverity({ unused: false, nvidia_immediate_action: 'RESTART_BM' }), 'critical');
    assert.equal(ruleSeverity({ unused: false, nvidia_immediate_action: 'XID_154' }), 'critical');
    assert.equal(ruleSeverity({ unused: false, nvidia_immediate_action: 'WORKFLOW_NVLINK5_ERR' }), 'warning');
    assert.equal(ruleSeverity({ unused: false, nvidia_immediate_action: 'IGNORE' }), 'info');
    assert.equal(ruleSeverity({ unused: false, nvidia_immediate_action: '' }), 'warning');
    assert.equal(ruleSeverity({ unused: true, nvidia_immediate_action: 'CONTACT_SUPPORT' }), 'info');
    assert.equal(sxidRuleSeverity('always_fatal'), 'critical');
    assert.equal(sxidRuleSeverity('nonfatal'), 'warning');
  });
});
