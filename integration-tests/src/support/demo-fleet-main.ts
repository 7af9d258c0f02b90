// Entry of the `gpu-simulator` container (compose `demo` profile): AAMI_SIM_NODES simulated GPU nodes
// (default 4), each reachable by its name on :9400 (dcgm-exporter) and :9100 (node_exporter), and the
// simulator's control API on :AAMI_SIM_CONTROL_PORT (default 9500) for injecting faults.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoFleet } from './demo-fleet.ts';

const env = process.env;
const num = (name: string, fallback: number): number => {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
};
const model = env['AAMI_SIM_MODEL'] === 'A100' ? 'A100' : 'H100';
// AAMI_SIM_MODELS=H100,H100,V100: node i plays the i-th model (a V100 retires pages, so the
// retired-pages health check can be shown); the nodes past the list play AAMI_SIM_MODEL.
const MODELS = ['H100', 'A100', 'V100'] as const;
const models = (env['AAMI_SIM_MODELS'] ?? '').split(',').map((m) => m.trim().toUpperCase()).filter(Boolean).map((m) => {
  const known = MODELS.find((k) => k === m);
  if (!known) throw new Error(`AAMI_SIM_MODELS: "${m}" is not one of ${MODELS.join(', ')}`);
  return known;
});
const fleet = await startDemoFleet({
  nodes: num('AAMI_SIM_NODES', 4),
  gpus: num('AAMI_SIM_GPUS', 8),
  model,
  ...(models.length > 0 ? { models } : {}),
  nodePrefix: env['AAMI_SIM_NODE_PREFIX'] || 'gpu-node-',
  bind: env['AAMI_BIND'] || '0.0.0.0',
  controlPort: num('AAMI_SIM_CONTROL_PORT', 9500),
  dcgmPort: num('AAMI_SIM_DCGM_PORT', 9400),
  nodeExporterPort: num('AAMI_SIM_NODE_EXPORTER_PORT', 9100),
  workDir: env['AAMI_SIM_LOG_DIR'] || join(tmpdir(), 'aami-demo-fleet'),
  xidCounterIntervalMs: num('AAMI_SIM_XID_COUNTER_INTERVAL_MS', 15_000),
});
process.stdout.write(`demo fleet: ${fleet.names.join(', ')} on :${fleet.dcgmPort} (dcgm-exporter) and :${fleet.nodeExporterPort} (node_exporter); control API ${fleet.controlUrl ?? 'off'}\n`);
const stop = () => void fleet.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
