// Is dcgm-exporter on the GPU's node answering? Without it every other GPU check is blind, so a
// silent exporter makes the GPU `unknown`, never `healthy`.
import { result, type GpuSnapshot, type HealthCheck } from '../../types.ts';

export const NAME = 'exporter';

export const exporterCheck: HealthCheck = {
  name: NAME,
  isSupported: () => true,
  check(gpu: GpuSnapshot) {
    if (gpu.exporter === 'down') return result(NAME, 'unknown', 'none', `dcgm-exporter on ${gpu.node} does not answer Prometheus' scrapes`);
    if (gpu.exporter === 'absent') return result(NAME, 'unknown', 'none', `Prometheus has no dcgm-exporter target for ${gpu.node}`);
    return result(NAME, 'healthy', 'none', 'dcgm-exporter answers');
  },
};
