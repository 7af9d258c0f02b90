// Doctor sources for tests: every read fails ("not set up in this test") unless the test gives it.
import type { ComponentStatus, DoctorNodeResult } from '@aami/shared';
import type { DoctorSources } from './sources.ts';

const missing = (what: string) => () => Promise.reject(new Error(`${what} is not set up in this test`));

/** Sources whose reads reject unless `over` gives them. */
export function fakeSources(over: Partial<DoctorSources> = {}): DoctorSources {
  return {
    components: missing('components'),
    config: missing('config'),
    compileStatus: missing('compileStatus'),
    prometheusTargets: missing('prometheusTargets'),
    prometheusSelf: missing('prometheusSelf'),
    deadLetters: missing('deadLetters'),
    relayMetrics: missing('relayMetrics'),
    nodes: missing('nodes'),
    where: { prometheus: 'http://prometheus:9090', ruleCompiler: 'http://rule-compiler:8083', relay: 'http://notification-relay:8081', installWorker: 'http://install-worker:8084' },
    ...over,
  };
}

/** One part of the stack as the status probe reports it. */
export const component = (name: string, over: Partial<ComponentStatus> = {}): ComponentStatus => ({
  name, url: `http://${name}:1`, reachable: true, version: '1.0.0', credential: 'service token', ...over,
});

/** One node as the install worker reports it: answered, pinned key, no skew, current exporters. */
export const nodeResult = (node: string, over: Partial<DoctorNodeResult> = {}): DoctorNodeResult => ({
  node, address: `10.0.0.1:22`, host_key: { status: 'match', offered: 'SHA256:k', pinned: 'SHA256:k' }, clock: { skew_s: 0.01, uncertainty_s: 0.002 }, arch: 'amd64',
  exporters: [{ name: 'node_exporter', installed: '1.8.2', wanted: ['1.8.2'] }], ...over,
});
