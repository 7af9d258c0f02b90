// Check `services`: every part of the stack answers (the status probes of GET /api/v1/status), and
// AAMI's own services all run the same release. A part that does not answer is critical, naming
// its address and why; services on different releases are a warning (a half-done upgrade).
import type { DoctorFinding } from '@aami/shared';
import { findingsOf, quote, redactUrl, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const SERVICES_CHECK = 'services';

/** AAMI's own services: they must all run the same release. */
export const AAMI_SERVICES: readonly string[] = ['api-gateway', 'notification-relay', 'analyzer', 'rule-compiler', 'install-worker'];

const f = findingsOf(SERVICES_CHECK);

/** The compose service of each part, for the fix line. */
const restartFix = (name: string) => `docker compose logs ${name}; docker compose up -d ${name} (under make dev: restart make dev)`;

export function servicesCheck(sources: Pick<DoctorSources, 'components'>): DoctorCheck {
  return {
    name: SERVICES_CHECK,
    description: 'every part answers, and AAMI\'s services run one release',
    async run() {
      const components = await sources.components();
      const out: DoctorFinding[] = [];
      for (const c of components.filter((x) => !x.reachable)) {
        out.push(f.critical(`${c.name} at ${redactUrl(c.url)} is not reachable: ${quote(c.error ?? 'no answer')}`, { subject: c.name, fix: restartFix(c.name) }));
      }
      const aami = components.filter((c) => c.reachable && AAMI_SERVICES.includes(c.name));
      const versions = new Map<string, string[]>();
      for (const c of aami) versions.set(c.version ?? 'unknown', [...(versions.get(c.version ?? 'unknown') ?? []), c.name]);
      if (versions.size > 1) {
        const list = [...versions.entries()].map(([v, names]) => `${quote(v, 40)} (${names.join(', ')})`).join(', ');
        out.push(f.warning(`AAMI's services run different releases: ${list}`, { fix: 'docker compose pull && docker compose up -d; see docs/production.md#upgrades' }));
      }
      if (out.length === 0) {
        const [version] = [...versions.keys()];
        out.push(f.ok(`all ${components.length} parts answer; AAMI's services run ${quote(version ?? 'unknown', 40)}`));
      }
      return out;
    },
  };
}
