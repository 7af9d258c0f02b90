// Check `scrape`: Prometheus scrapes every target, read from its /api/v1/targets. Targets that
// fail are grouped by the node they belong to (the `node` label), one critical finding per node
// with each failing job and Prometheus' own error for it: a node that is not scraped raises no
// alert at all.
import { NODE_LABEL, type DoctorFinding } from '@aami/shared';
import { describeError, findingsOf, quote, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const SCRAPE_CHECK = 'scrape';

/** The `node` label of AAMI's own services (rule-compiler's CONTROL_NODE). */
const CONTROL_NODE = 'aami-control';

const f = findingsOf(SCRAPE_CHECK);

export function scrapeCheck(sources: Pick<DoctorSources, 'prometheusTargets' | 'config' | 'where'>): DoctorCheck {
  return {
    name: SCRAPE_CHECK,
    description: 'Prometheus scrapes every target; failures by node with the scrape error',
    async run() {
      let targets;
      try {
        targets = await sources.prometheusTargets();
      } catch (err) {
        return [f.critical(`the scrape targets could not be read: ${describeError(err)}`, { subject: 'prometheus', fix: 'docker compose logs prometheus; docker compose up -d prometheus' })];
      }
      const down = new Map<string, string[]>();
      let up = 0;
      let pending = 0;
      const nodes = new Set<string>();
      for (const t of targets) {
        const node = t.labels[NODE_LABEL] ?? t.labels.instance ?? 'unknown';
        nodes.add(node);
        if (t.health === 'up') up++;
        else if (t.health === 'down') {
          const what = `${quote(t.labels.job ?? 'job?', 60)} (${quote(t.scrapeUrl ?? t.labels.instance ?? '?', 120)}): ${quote(t.lastError || 'no error given')}`;
          down.set(node, [...(down.get(node) ?? []), what]);
        } else pending++;
      }
      const out: DoctorFinding[] = [...down.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([node, failures]) => f.critical(
        `Prometheus cannot scrape ${quote(node, 120)}: ${failures.join('; ')}`,
        {
          subject: node,
          fix: node === CONTROL_NODE
            ? 'docker compose ps: one of AAMI\'s own services is down'
            : `aami nodes install ${quote(node, 120)} --verify shows whether the exporters run; else check the network and firewall between Prometheus and the node`,
        },
      ));
      if (targets.length === 0) {
        let configured = 0;
        try { configured = (await sources.config()).config.nodes.length; } catch { /* the config check says why */ }
        if (configured > 0) {
          out.push(f.warning(`Prometheus at ${sources.where.prometheus} has no scrape targets, although config.yaml lists ${configured} node(s)`, { fix: 'aami alerts status (did the compile reach Prometheus?); docker compose logs rule-compiler' }));
        } else out.push(f.ok('Prometheus has nothing to scrape yet (no nodes in config.yaml)'));
      } else if (down.size === 0) {
        out.push(f.ok(`all ${up} scrape target(s) on ${nodes.size} node(s) are up${pending ? ` (${pending} not scraped yet)` : ''}`));
      }
      return out;
    },
  };
}
