// Time the GPU spent slowed down for heat or power. Thermal slowdown points at cooling (airflow,
// fans, a blocked heat sink); long power slowdown at the power cap or the supply.
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'slowdown';
/** Share of the window spent in thermal slowdown that makes the GPU degraded. */
export const THERMAL_RATIO_LIMIT = 0.01;
/** Share of the window spent in power slowdown that makes the GPU degraded. */
export const POWER_RATIO_LIMIT = 0.5;

const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;

export const slowdownCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const { thermalSlowdownRatio: thermal, powerSlowdownRatio: power } = gpu.fields;
    if (thermal === undefined && power === undefined) return missingInput(NAME, 'DCGM_FI_DEV_THERMAL_VIOLATION and _POWER_VIOLATION are not exported');
    if ((thermal ?? 0) >= THERMAL_RATIO_LIMIT) return result(NAME, 'degraded', 'inspect-hardware', `slowed down for heat ${pct(thermal ?? 0)} of the time: check the cooling`);
    if ((power ?? 0) >= POWER_RATIO_LIMIT) return result(NAME, 'degraded', 'none', `held back by its power limit ${pct(power ?? 0)} of the time: check the power cap and supply`);
    return result(NAME, 'healthy', 'none', `thermal slowdown ${pct(thermal ?? 0)}, power slowdown ${pct(power ?? 0)} of the time`);
  },
};
