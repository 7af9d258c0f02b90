// The rule compiler's own metrics, scraped by Prometheus under job "aami": how compiles go, so a
// compiler that keeps refusing config.yaml shows up on a dashboard and can be alerted on.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The compiler's metrics in their own registry (no global state, so tests stay independent). */
export interface CompilerMetrics {
  registry: Registry;
  compiles: Counter<'result'>;
  duration: Histogram;
  lastSuccess: Gauge;
  rules: Gauge;
  nodes: Gauge;
}

/** Creates the registry; `defaults` adds the process metrics (CPU, memory, event loop). */
export function createMetrics(defaults = false): CompilerMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'aami_rule_compiler_' });
  return {
    registry,
    compiles: new Counter({ name: 'aami_rule_compiler_compiles_total', help: 'Compile runs by result (ok, failed, reload_failed).', labelNames: ['result'], registers: [registry] }),
    duration: new Histogram({ name: 'aami_rule_compiler_compile_duration_seconds', help: 'Duration of successful compile runs, checks and reload included.', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] }),
    lastSuccess: new Gauge({ name: 'aami_rule_compiler_last_success_timestamp_seconds', help: 'When the generated files last matched config.yaml.', registers: [registry] }),
    rules: new Gauge({ name: 'aami_rule_compiler_rules', help: 'Alert rules enabled in the live rule files.', registers: [registry] }),
    nodes: new Gauge({ name: 'aami_rule_compiler_nodes', help: 'Nodes with a live target file.', registers: [registry] }),
  };
}
