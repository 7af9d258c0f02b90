import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COUNTERS_FILES, loadFieldCatalog, parseCountersCsv } from './field-catalog.ts';

const AAMI_EXTRAS = [
  'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
  'DCGM_FI_DEV_POWER_VIOLATION',
  'DCGM_FI_DEV_THERMAL_VIOLATION',
  'DCGM_EXP_XID_ERRORS_COUNT',
  'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL',
  'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL',
  'DCGM_FI_DEV_ECC_SBE_AGG_TOTAL',
  'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL',
  'DCGM_FI_DEV_RETIRED_SBE',
  'DCGM_FI_DEV_RETIRED_DBE',
  'DCGM_FI_DEV_RETIRED_PENDING',
  'DCGM_FI_DEV_ROW_REMAP_PENDING',
  'DCGM_FI_DEV_PCIE_LINK_GEN',
  'DCGM_FI_DEV_PCIE_LINK_WIDTH',
  'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL',
  'DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL',
  'DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL',
  'DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL',
];

describe('counters files', () => {
  it('ships a byte-exact copy of dcgm-exporter default-counters.csv', () => {
    const bytes = readFileSync(COUNTERS_FILES.default);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), '13d8c92cffa649f17c4c0938bb16707daf27260e845c77eacf89dbb68a46eaf9');
  });

  it('reads the default file as dcgm-exporter does: 25 metric fields in file order, one label field, cells trimmed', () => {
    const c = loadFieldCatalog('default');
    assert.equal(c.metrics.length, 25);
    assert.deepEqual(c.labels.map((l) => l.name), ['DCGM_FI_DRIVER_VERSION']);
    assert.equal(c.metrics[0]?.name, 'DCGM_FI_DEV_SM_CLOCK');
    assert.equal(c.metrics.at(-1)?.name, 'DCGM_FI_PROF_PCIE_RX_BYTES');
    const dec = c.metrics.find((m) => m.name === 'DCGM_FI_DEV_DEC_UTIL');
    assert.deepEqual(dec && { type: dec.type, help: dec.help }, { type: 'gauge', help: 'Decoder utilization (in %).' });
    const energy = c.metrics.find((m) => m.name === 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION');
    assert.equal(energy?.type, 'counter');
    // The commented-out counter line for PCIE_TX_BYTES is ignored; the enabled one is a gauge.
    assert.equal(c.metrics.filter((m) => m.name === 'DCGM_FI_PROF_PCIE_TX_BYTES').length, 1);
    assert.equal(c.metrics.find((m) => m.name === 'DCGM_FI_PROF_PCIE_TX_BYTES')?.type, 'gauge');
  });

  it('the AAMI file keeps every default field unchanged and adds the preset fields', () => {
    const d = loadFieldCatalog('default');
    const a = loadFieldCatalog('aami');
    for (const m of d.metrics) {
      const same = a.metrics.find((x) => x.name === m.name);
      assert.deepEqual(same && { type: same.type, help: same.help }, { type: m.type, help: m.help }, m.name);
    }
    assert.deepEqual(a.labels.map((l) => l.name), d.labels.map((l) => l.name));
    const extras = a.metrics.filter((m) => !d.metrics.some((x) => x.name === m.name)).map((m) => m.name);
    assert.deepEqual([...extras].sort(), [...AAMI_EXTRAS].sort());
    assert.equal(a.metrics.find((m) => m.name === 'DCGM_EXP_XID_ERRORS_COUNT')?.type, 'gauge');
    assert.equal(a.metrics.find((m) => m.name === 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS')?.type, 'gauge');
  });

  it('rejects what dcgm-exporter would reject, naming the line', () => {
    assert.throws(() => parseCountersCsv('DCGM_FI_DEV_GPU_TEMP, gauge\n', 'x.csv'), /x\.csv:1: expected 3/);
    assert.throws(() => parseCountersCsv('# c\nDCGM_FI_DEV_GPU_TEMP, gauge, a, b\n', 'x.csv'), /x\.csv:2: expected 3/);
    assert.throws(() => parseCountersCsv('DCGM_FI_DEV_GPU_TEMP, histo, t\n'), /type 'histo'/);
    assert.throws(() => parseCountersCsv('DCGM_FI_DEV_GPU_TEMP, gauge, t\nDCGM_FI_DEV_GPU_TEMP, gauge, t\n'), /:2: field DCGM_FI_DEV_GPU_TEMP appears twice/);
    assert.throws(() => parseCountersCsv('# only comments\n'), /no metric fields/);
  });

  it('accepts CRLF line endings and a label-only line', () => {
    const c = parseCountersCsv('DCGM_FI_DEV_GPU_TEMP,gauge,GPU temperature (in C).\r\nDCGM_FI_DRIVER_VERSION, label, Driver Version\r\n');
    assert.deepEqual(c.metrics.map((m) => [m.name, m.help]), [['DCGM_FI_DEV_GPU_TEMP', 'GPU temperature (in C).']]);
    assert.equal(c.labels[0]?.name, 'DCGM_FI_DRIVER_VERSION');
  });
});
