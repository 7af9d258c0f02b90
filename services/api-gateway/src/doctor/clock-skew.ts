// Check `clock-skew`: each node's clock against the control node's, as the install worker read it
// (`date +%s.%N`, against the middle of the request; the round trip bounds the error). Kernel-log
// times, Xid events and certificates all assume clocks that agree.
import type { DoctorFinding } from '@aami/shared';
import { findingsOf, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const CLOCK_SKEW_CHECK = 'clock-skew';

/** Skew beyond the measuring error from which a clock is a warning, and from which it is critical. */
export const SKEW_WARNING_S = 1;
export const SKEW_CRITICAL_S = 60;

const f = findingsOf(CLOCK_SKEW_CHECK);

const seconds = (s: number) => (Math.abs(s) >= 10 ? `${Math.round(s)} s` : `${s.toFixed(2)} s`);

export function clockSkewCheck(sources: Pick<DoctorSources, 'nodes'>): DoctorCheck {
  return {
    name: CLOCK_SKEW_CHECK,
    description: 'node clocks agree with the control node',
    async run() {
      const answer = await sources.nodes().catch(() => undefined);
      if (!answer) return []; // the ssh check reports it
      const out: DoctorFinding[] = [];
      const read = answer.results.filter((r) => r.clock);
      let worst = 0;
      for (const r of read) {
        const { skew_s: skew, uncertainty_s: error } = r.clock!;
        worst = Math.max(worst, Math.abs(skew));
        const beyond = Math.abs(skew) - error;
        if (beyond < SKEW_WARNING_S) continue;
        const way = skew > 0 ? 'ahead of' : 'behind';
        const make = beyond >= SKEW_CRITICAL_S ? f.critical : f.warning;
        out.push(make(`${r.node}'s clock is ${seconds(Math.abs(skew))} ${way} the control node's (± ${seconds(error)})`, {
          subject: r.node, fix: 'turn on time sync on the node (timedatectl set-ntp true, or chrony) and on the control node',
        }));
      }
      if (read.length > 0 && out.length === 0) out.push(f.ok(`the clocks of ${read.length} node(s) agree with the control node's within ${SKEW_WARNING_S} s (largest difference ${seconds(worst)})`));
      return out;
    },
  };
}
