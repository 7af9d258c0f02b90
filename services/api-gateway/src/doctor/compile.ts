// Check `config`: config.yaml reads and validates, and what runs is what it says: the rule
// compiler's last success is config.yaml's revision, its last attempt was accepted by
// promtool/amtool, and a running Prometheus and Alertmanager loaded the files.
import type { DoctorFinding } from '@aami/shared';
import { describeError, findingsOf, quote, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const CONFIG_CHECK = 'config';

const f = findingsOf(CONFIG_CHECK);

export function compileCheck(sources: Pick<DoctorSources, 'config' | 'compileStatus'>): DoctorCheck {
  return {
    name: CONFIG_CHECK,
    description: 'config.yaml is valid and compiled into the files Prometheus and Alertmanager run',
    async run() {
      let revision: number;
      try {
        ({ revision } = await sources.config());
      } catch (err) {
        return [f.critical(`config.yaml cannot be read: ${describeError(err)}`, { fix: 'fix the key or line the message names in config.yaml (README.md#configuration)' })];
      }
      let s;
      try {
        s = await sources.compileStatus();
      } catch (err) {
        return [f.critical(`the compile status could not be read: ${describeError(err)}`, { subject: 'rule-compiler', fix: 'docker compose logs rule-compiler; docker compose up -d rule-compiler' })];
      }
      const out: DoctorFinding[] = [];
      const live = s.lastSuccess?.revision ?? null;
      if (s.state === 'never') {
        out.push(f.warning('the rule compiler has not compiled anything yet, so Prometheus and Alertmanager run without AAMI\'s files', { fix: 'docker compose logs rule-compiler; aami alerts status' }));
      } else if (s.lastAttempt && !s.lastAttempt.ok) {
        const why = s.lastAttempt.errors.slice(0, 3).map((e) => quote(`${e.path ? `${e.path}: ` : ''}${e.message}`, 200)).join('; ') || 'no reason given';
        out.push(f.critical(`the last compile (config revision ${s.lastAttempt.revision ?? '?'}) was refused: ${why}; the files of revision ${live ?? 'none'} stay live`, { fix: 'aami alerts status shows every error; change the rule or key it names' }));
      } else if (s.state === 'reload_failed') {
        const refused = (['prometheus', 'alertmanager'] as const).filter((p) => s.reload && !s.reload[p].ok && !s.reload[p].unreachable)
          .map((p) => `${p}${s.reload?.[p].error ? ` (${quote(s.reload[p].error ?? '', 200)})` : ''}`);
        out.push(f.critical(`revision ${live ?? '?'} is compiled, but ${refused.join(' and ') || 'Prometheus or Alertmanager'} did not load it`, { fix: 'aami alerts status; docker compose logs prometheus alertmanager' }));
      }
      if (s.state !== 'never' && live !== revision && !out.some((x) => x.severity === 'critical')) {
        out.push(f.warning(`config.yaml is at revision ${revision}, but the live files are from revision ${live ?? 'none'}: a compile is queued or the compiler does not get the requests`, { fix: 'run aami doctor again in a few seconds; if it stays, docker compose logs rule-compiler' }));
      }
      if (out.length === 0) out.push(f.ok(`config.yaml revision ${revision} is valid and live (compiled ${s.lastSuccess?.at ?? 'at an unknown time'})`));
      return out;
    },
  };
}
