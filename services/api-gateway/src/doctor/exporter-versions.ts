// Check `exporter-versions`: the exporters AAMI installed on each node (its
// /etc/aami/installed.json) are the versions the artifact store would install now. A node that
// runs an older one, or that AAMI never installed on and that does not say it runs its own
// exporters (`exporters:` in config.yaml), is a warning.
import type { DoctorFinding } from '@aami/shared';
import { findingsOf, quote, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const EXPORTER_VERSIONS_CHECK = 'exporter-versions';

const f = findingsOf(EXPORTER_VERSIONS_CHECK);

export function exporterVersionsCheck(sources: Pick<DoctorSources, 'nodes' | 'config'>): DoctorCheck {
  return {
    name: EXPORTER_VERSIONS_CHECK,
    description: "the exporters on each node are the artifact store's versions",
    async run() {
      const answer = await sources.nodes().catch(() => undefined);
      if (!answer) return []; // the ssh check reports it
      const own = new Set<string>();
      try {
        for (const n of (await sources.config()).config.nodes) if (n.exporters) own.add(n.name);
      } catch { /* the config check says why */ }
      const out: DoctorFinding[] = [];
      let current = 0;
      // Only nodes whose login worked say anything about their exporters.
      const looked = answer.results.filter((x) => x.host_key.status === 'match' && !x.failure);
      for (const r of looked) {
        if (!r.exporters) {
          if (!own.has(r.node)) out.push(f.warning(`AAMI has not installed its exporters on ${r.node}`, { subject: r.node, fix: `aami nodes install ${r.node}` }));
          continue;
        }
        const old = r.exporters.filter((e) => e.wanted.length > 0 && !e.wanted.includes(e.installed));
        const unknown = r.exporters.filter((e) => e.wanted.length === 0);
        for (const e of old) {
          out.push(f.warning(`${r.node} runs ${e.name} ${quote(e.installed, 64)}; the artifact store has ${e.wanted.join(' or ')}`, { subject: r.node, fix: `aami nodes install ${r.node} --upgrade` }));
        }
        for (const e of unknown) {
          out.push(f.warning(`${r.node} runs ${e.name} ${quote(e.installed, 64)}, but the artifact store has no ${e.name} for ${r.arch ?? 'its arch'} to compare with (a new install there would fail)`, {
            subject: r.node, fix: `add a ${e.name} build for ${r.arch ?? 'the node\'s arch'} to the install worker's artifact store`,
          }));
        }
        if (old.length === 0 && unknown.length === 0) current++;
      }
      if (current > 0) out.push(f.ok(`${current} node(s) run the artifact store's exporter versions`));
      else if (out.length === 0 && looked.length > 0) out.push(f.ok(`none of the ${looked.length} node(s) that answered runs exporters installed by AAMI: config.yaml says they run their own`));
      return out;
    },
  };
}
