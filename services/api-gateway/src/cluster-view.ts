// What Prometheus and Alertmanager say about each node: up or down, how many GPUs report, how many
// alerts fire. Unreachable sources give `null` ("?" in the CLI) instead of failing the request.
// Each node's answer is the shared NodeLiveness (shared/src/api/nodes.ts), as the nodes API sends it.
import { GPU_PRESENCE_METRIC, JOBS, NODE_LABEL, queryPrometheus, type HttpAuth, type NodeLiveness } from '@aami/shared';

export interface ClusterViewDeps {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Basic-auth headers for each (settings.prometheusAuth / alertmanagerAuth); none when absent. */
  prometheusAuth?: HttpAuth;
  alertmanagerAuth?: HttpAuth;
  timeoutMs?: number;
}

/** Health of every named node, from one query per source (not one per node). */
export async function fetchNodeHealth(names: string[], deps: ClusterViewDeps): Promise<Map<string, NodeLiveness>> {
  const timeout = deps.timeoutMs ?? 2000;
  const out = new Map<string, NodeLiveness>(names.map((n) => [n, { status: null, gpus: null, alerts: null }]));
  const [up, gpus, alerts] = await Promise.allSettled([
    queryPrometheus(deps.prometheusUrl, `min by (${NODE_LABEL}) (up{job="${JOBS.nodeExporter}"})`, timeout, deps.prometheusAuth),
    queryPrometheus(deps.prometheusUrl, `count by (${NODE_LABEL}) (${GPU_PRESENCE_METRIC})`, timeout, deps.prometheusAuth),
    fetch(`${deps.alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`, { headers: deps.alertmanagerAuth ?? {}, signal: AbortSignal.timeout(timeout) })
      .then(async (r) => (r.ok ? ((await r.json()) as Array<{ labels: Record<string, string> }>) : Promise.reject(new Error(`alertmanager ${r.status}`)))),
  ]);
  if (up.status === 'fulfilled') {
    const byNode = new Map(up.value.map((s) => [s.metric[NODE_LABEL], s.value[1]]));
    for (const [name, h] of out) {
      const v = byNode.get(name);
      h.status = v === undefined ? 'down' : v === '1' ? 'up' : 'down';
    }
  }
  if (gpus.status === 'fulfilled') {
    const byNode = new Map(gpus.value.map((s) => [s.metric[NODE_LABEL], Number(s.value[1])]));
    for (const [name, h] of out) h.gpus = byNode.get(name) ?? 0;
  }
  if (alerts.status === 'fulfilled') {
    for (const h of out.values()) h.alerts = 0;
    for (const a of alerts.value) {
      const h = out.get(a.labels[NODE_LABEL] ?? '');
      if (h) h.alerts = (h.alerts ?? 0) + 1;
    }
  }
  return out;
}
