// The health vocabulary, without zod, so the browser bundle can import it too: the states and
// actions, their order, the symbol and the sentence every surface (CLI, Web UI, notifications) shows.

/** A GPU's (or a check's, or a node's) health, worst last. `unknown`: the input was missing. */
export const HEALTH_STATES = ['healthy', 'unknown', 'degraded', 'unhealthy'] as const;
export type HealthStateName = (typeof HEALTH_STATES)[number];

/** How bad each state is, for "worst first" sorting and for taking the worst of several. */
export const HEALTH_STATE_RANK: Readonly<Record<HealthStateName, number>> = { healthy: 0, unknown: 1, degraded: 2, unhealthy: 3 };

/** One symbol per state, so a state reads without colour. */
export const HEALTH_STATE_SYMBOL: Readonly<Record<HealthStateName, string>> = { healthy: '✓', unknown: '?', degraded: '!', unhealthy: '✕' };

/** The next thing an operator should do, from least to most disruptive. */
export const HEALTH_ACTIONS = ['none', 'restart-app', 'reset-gpu', 'reboot-node', 'inspect-hardware'] as const;
export type HealthActionName = (typeof HEALTH_ACTIONS)[number];

export const HEALTH_ACTION_RANK: Readonly<Record<HealthActionName, number>> = {
  none: 0, 'restart-app': 1, 'reset-gpu': 2, 'reboot-node': 3, 'inspect-hardware': 4,
};

/** One sentence per action, as the CLI, the UI and notifications show it. */
export const HEALTH_ACTION_TEXT: Readonly<Record<HealthActionName, string>> = {
  none: 'nothing to do',
  'restart-app': 'restart the application that uses this GPU, and check it',
  'reset-gpu': 'stop the work on this GPU and reset it (nvidia-smi -r), or reboot the node',
  'reboot-node': 'drain the node and reboot it',
  'inspect-hardware': 'drain the node and have the hardware inspected (RMA if it fails again)',
};
