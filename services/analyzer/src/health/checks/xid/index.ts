// Xids the GPU logged, from AAMI's Xid counter (a real counter, unlike dcgm-exporter's last-Xid
// gauge). An Xid counts until the reboot that fixes it, or, for hardware-class Xids, until an
// operator clears it; a reboot-class Xid that comes back after the reboot threshold is escalated.
import { HEALTH_ACTION_RANK, HEALTH_STATE_RANK, type CheckResult } from '@aami/shared';
import { clearedByReboot, xidOutcome } from '../../xid-policy.ts';
import { formatTime, ordinal, result, type GpuSnapshot, type HealthCheck, type XidFinding } from '../../types.ts';

export const NAME = 'xid';

/** Whether a finding still affects the GPU now. */
export function isActive(x: XidFinding): boolean {
  return x.escalatedAt !== undefined || x.inCurrentBoot || !clearedByReboot(x.bucket);
}

function describe(x: XidFinding, rebootThreshold: number): CheckResult {
  const when = `Xid ${x.xid} (${x.title}) at ${formatTime(x.lastAt)}`;
  if (x.escalatedAt !== undefined) {
    return result(NAME, 'unhealthy', 'inspect-hardware',
      `${when}, the ${ordinal(x.count)} time since ${formatTime(x.firstAt)} and after ${x.rebootsSinceFirst} reboot${x.rebootsSinceFirst === 1 ? '' : 's'} (threshold ${rebootThreshold}): reboots do not fix it`);
  }
  const { state, action } = xidOutcome(x.bucket);
  const times = x.count > 1 ? `, ${ordinal(x.count)} time${x.rebootsSinceFirst > 0 ? ` across ${x.rebootsSinceFirst} reboot${x.rebootsSinceFirst === 1 ? '' : 's'}` : ''}` : '';
  return result(NAME, state, action, `${when}${times}`);
}

export const xidCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const found = gpu.xids.filter(isActive).map((x) => describe(x, gpu.rebootThreshold));
    if (found.length === 0) {
      if (!gpu.xidCounterReporting) return result(NAME, 'unknown', 'none', `no data: AAMI's Xid counter on ${gpu.node} has not reported in the last 5 minutes`);
      return result(NAME, 'healthy', 'none', 'no Xid in effect');
    }
    found.sort((a, b) => HEALTH_STATE_RANK[b.state] - HEALTH_STATE_RANK[a.state] || HEALTH_ACTION_RANK[b.action] - HEALTH_ACTION_RANK[a.action]);
    const [worst, ...rest] = found as [CheckResult, ...CheckResult[]];
    return rest.length === 0 ? worst : { ...worst, reason: `${worst.reason}; and ${rest.length} more Xid${rest.length === 1 ? '' : 's'}: ${rest.map((r) => r.reason.split(' (')[0]).join(', ')}` };
  },
};
