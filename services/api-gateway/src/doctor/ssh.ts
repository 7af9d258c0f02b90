// Check `ssh`: the install worker (the only part that speaks SSH) reaches every node. It owns the
// install worker's answer: when that does not come, this check says so once, and host-keys,
// clock-skew and exporter-versions, which read the same answer, stay silent.
import type { DoctorFinding } from '@aami/shared';
import { describeError, findingsOf, quote, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const SSH_CHECK = 'ssh';

const f = findingsOf(SSH_CHECK);

export function sshCheck(sources: Pick<DoctorSources, 'nodes'>): DoctorCheck {
  return {
    name: SSH_CHECK,
    description: 'the install worker reaches every node over SSH',
    async run() {
      let answer;
      try {
        answer = await sources.nodes();
      } catch (err) {
        return [f.critical(`the node checks could not be run: ${describeError(err)}; host keys, clock skew and exporter versions were not checked`, { subject: 'install-worker', fix: 'docker compose logs install-worker; docker compose up -d install-worker' })];
      }
      if (answer.results.length === 0) return [f.ok('config.yaml lists no nodes yet')];
      const out: DoctorFinding[] = answer.results.filter((r) => r.failure).map((r) => f.warning(
        `${r.node} (${quote(r.address, 80)}) could not be checked: ${quote(r.failure?.message ?? '')}`,
        { subject: r.node, fix: r.failure?.kind === 'timeout' ? `aami nodes test ${r.node} checks it alone` : `aami nodes test ${r.node} says more; installs and topology reads fail there too` },
      ));
      const fine = answer.results.length - out.length;
      if (fine > 0) out.push(f.ok(`${fine} of ${answer.results.length} node(s) answered over SSH`));
      return out;
    },
  };
}
