// What an Xid means for a GPU's health, from NVIDIA's immediate-action bucket in the catalog (the
// mapping gpud uses): buckets that need people or parts make the GPU unhealthy, buckets a reset,
// reboot or app restart fixes make it degraded, IGNORE leaves it healthy.
import type { HealthAction, HealthState, NvidiaImmediateAction } from '@aami/shared';

interface Outcome { state: HealthState; action: HealthAction }

const OUTCOMES: Readonly<Record<NvidiaImmediateAction, Outcome>> = {
  CONTACT_SUPPORT: { state: 'unhealthy', action: 'inspect-hardware' },
  CHECK_MECHANICALS: { state: 'unhealthy', action: 'inspect-hardware' },
  WORKFLOW_NVLINK_ERR: { state: 'unhealthy', action: 'inspect-hardware' },
  WORKFLOW_NVLINK5_ERR: { state: 'unhealthy', action: 'inspect-hardware' },
  XID_154: { state: 'unhealthy', action: 'inspect-hardware' },
  RESTART_BM: { state: 'unhealthy', action: 'reboot-node' },
  RESET_GPU: { state: 'degraded', action: 'reset-gpu' },
  RESTART_VM: { state: 'degraded', action: 'reboot-node' },
  CHECK_UVM: { state: 'degraded', action: 'reboot-node' },
  RESTART_APP: { state: 'degraded', action: 'restart-app' },
  WORKFLOW_XID_48: { state: 'degraded', action: 'restart-app' },
  WORKFLOW_XID_45: { state: 'degraded', action: 'restart-app' },
  UPDATE_SWFW: { state: 'degraded', action: 'restart-app' },
  IGNORE: { state: 'healthy', action: 'none' },
  '': { state: 'healthy', action: 'none' },
};

/** The state and action an Xid in this bucket stands for. */
export function xidOutcome(bucket: NvidiaImmediateAction): Outcome {
  return OUTCOMES[bucket];
}

/**
 * Whether a reboot (or GPU reset) is the fix for this bucket. Such an Xid coming back after the
 * reboot threshold is escalated to hardware inspection; other Xids never escalate.
 */
export function isRebootClass(bucket: NvidiaImmediateAction): boolean {
  const { action } = OUTCOMES[bucket];
  return action === 'reboot-node' || action === 'reset-gpu';
}

/** Whether a reboot ends this Xid's effect on the GPU (hardware findings stay until cleared). */
export function clearedByReboot(bucket: NvidiaImmediateAction): boolean {
  return OUTCOMES[bucket].action !== 'inspect-hardware';
}
