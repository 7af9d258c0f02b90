// Check `credentials`: every part that answers asks for a credential (what `aami status` shows in
// its Credential column). A part that serves anyone who reaches it is a warning: the security
// model wants a key on every door (docs/production.md#security-model).
import type { DoctorFinding } from '@aami/shared';
import { findingsOf, redactUrl, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const CREDENTIALS_CHECK = 'credentials';

const f = findingsOf(CREDENTIALS_CHECK);

/** What sets each part's credential, for the fix line. */
const HOW: Readonly<Record<string, string>> = {
  prometheus: 'run Prometheus with --web.config.file and give the services AAMI_PROMETHEUS_PASSWORD_FILE',
  alertmanager: 'run Alertmanager with --web.config.file and give the services AAMI_ALERTMANAGER_PASSWORD_FILE',
  redis: 'run Redis with an ACL user and password and give the services AAMI_REDIS_USERNAME and AAMI_REDIS_PASSWORD_FILE',
};

export function credentialsCheck(sources: Pick<DoctorSources, 'components'>): DoctorCheck {
  return {
    name: CREDENTIALS_CHECK,
    description: 'every part asks for a credential before it answers',
    async run() {
      const reachable = (await sources.components()).filter((c) => c.reachable);
      const out: DoctorFinding[] = reachable.filter((c) => !c.credential).map((c) => f.warning(
        `${c.name} at ${redactUrl(c.url)} answers anyone who can reach it, without a credential`,
        { subject: c.name, fix: `${HOW[c.name] ?? 'give every AAMI service the same service token (AAMI_SERVICE_TOKEN or secrets/service-token)'}; docs/production.md#security-model` },
      ));
      if (out.length === 0) {
        const kinds = [...new Set(reachable.map((c) => c.credential))].join(', ');
        out.push(f.ok(reachable.length ? `each of the ${reachable.length} parts that answer asks for a credential (${kinds})` : 'no part answered, so no credential could be checked'));
      }
      return out;
    },
  };
}
