// HBM temperature. HBM slows down and then errs when hot; GPUs that cannot read it report 0, which
// is treated as no data rather than as cold.
import { result, missingInput, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'memory-temperature';
export const MEM_TEMP_DEGRADED_C = 90;
export const MEM_TEMP_UNHEALTHY_C = 100;

export const memoryTemperatureCheck: HealthCheck = {
  name: NAME,
  isSupported: (gpu) => gpu.vendor === 'nvidia',
  check(gpu: GpuSnapshot) {
    const t = gpu.fields.memTemp;
    if (t === undefined || t <= 0) return missingInput(NAME, 'DCGM_FI_DEV_MEMORY_TEMP is not exported or reads 0');
    if (t >= MEM_TEMP_UNHEALTHY_C) return result(NAME, 'unhealthy', 'inspect-hardware', `memory at ${t} °C (limit ${MEM_TEMP_UNHEALTHY_C} °C): check the cooling`);
    if (t >= MEM_TEMP_DEGRADED_C) return result(NAME, 'degraded', 'inspect-hardware', `memory at ${t} °C (warning from ${MEM_TEMP_DEGRADED_C} °C): check the cooling`);
    return result(NAME, 'healthy', 'none', `memory at ${t} °C`);
  },
};
