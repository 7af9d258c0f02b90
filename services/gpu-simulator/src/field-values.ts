// Which simulated reading each DCGM field shows, and how dcgm-exporter prints it: DCGM int64 fields
// as integers (`%d`), double fields with six decimals (`%f`, e.g. `71.911000`). A reader returning
// undefined means DCGM reports the field blank on this board, and dcgm-exporter then drops the series.
// A counters file naming a field not listed here is rejected when the node starts, so the simulator
// never invents a value for a field it does not model.
import type { GpuIdentity } from './gpu-identity.ts';
import type { GpuModel } from './gpu-models.ts';
import type { GpuSample } from './value-model.ts';

/** How one metric field is read from a sample and printed. */
export interface FieldReader {
  kind: 'int' | 'double';
  read(s: GpuSample): number | undefined;
}

const int = (read: FieldReader['read']): FieldReader => ({ kind: 'int', read });
const dbl = (read: FieldReader['read']): FieldReader => ({ kind: 'double', read });

/** DCGM fields rendered as one series per GPU. */
export const FIELD_READERS: Readonly<Record<string, FieldReader>> = {
  DCGM_FI_DEV_SM_CLOCK: int((s) => s.smClockMHz),
  DCGM_FI_DEV_MEM_CLOCK: int((s) => s.memClockMHz),
  DCGM_FI_DEV_MEMORY_TEMP: int((s) => s.memTempC),
  DCGM_FI_DEV_GPU_TEMP: int((s) => s.gpuTempC),
  DCGM_FI_DEV_POWER_USAGE: dbl((s) => s.powerW),
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: int((s) => s.energyMj),
  DCGM_FI_DEV_PCIE_REPLAY_COUNTER: int((s) => s.pcieReplay),
  // The link trains once at boot and the simulator never retrains it, so the max equals the current link.
  DCGM_FI_DEV_PCIE_MAX_LINK_GEN: int((s) => s.pcieLinkGen),
  DCGM_FI_DEV_PCIE_MAX_LINK_WIDTH: int((s) => s.pcieLinkWidth),
  DCGM_FI_DEV_PCIE_LINK_GEN: int((s) => s.pcieLinkGen),
  DCGM_FI_DEV_PCIE_LINK_WIDTH: int((s) => s.pcieLinkWidth),
  DCGM_FI_DEV_GPU_UTIL: int((s) => s.gpuUtil),
  DCGM_FI_DEV_MEM_COPY_UTIL: int((s) => s.memCopyUtil),
  DCGM_FI_DEV_ENC_UTIL: int((s) => s.encUtil),
  DCGM_FI_DEV_DEC_UTIL: int((s) => s.decUtil),
  DCGM_FI_DEV_XID_ERRORS: int((s) => s.lastXid),
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: int((s) => s.throttleReasons),
  DCGM_FI_DEV_CLOCKS_EVENT_REASONS: int((s) => s.throttleReasons),
  DCGM_FI_DEV_POWER_VIOLATION: int((s) => s.powerViolationNs),
  DCGM_FI_DEV_THERMAL_VIOLATION: int((s) => s.thermalViolationNs),
  DCGM_FI_DEV_SYNC_BOOST_VIOLATION: int((s) => s.syncBoostViolationNs),
  DCGM_FI_DEV_BOARD_LIMIT_VIOLATION: int((s) => s.boardLimitViolationNs),
  DCGM_FI_DEV_LOW_UTIL_VIOLATION: int((s) => s.lowUtilViolationNs),
  DCGM_FI_DEV_RELIABILITY_VIOLATION: int((s) => s.reliabilityViolationNs),
  DCGM_FI_DEV_FB_TOTAL: int((s) => s.fbTotalMiB),
  DCGM_FI_DEV_FB_FREE: int((s) => s.fbFreeMiB),
  DCGM_FI_DEV_FB_USED: int((s) => s.fbUsedMiB),
  DCGM_FI_DEV_FB_RESERVED: int((s) => s.fbReservedMiB),
  DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: int((s) => s.eccSbeVol),
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: int((s) => s.eccDbeVol),
  DCGM_FI_DEV_ECC_SBE_AGG_TOTAL: int((s) => s.eccSbeAgg),
  DCGM_FI_DEV_ECC_DBE_AGG_TOTAL: int((s) => s.eccDbeAgg),
  DCGM_FI_DEV_RETIRED_SBE: int((s) => s.retiredSbe),
  DCGM_FI_DEV_RETIRED_DBE: int((s) => s.retiredDbe),
  DCGM_FI_DEV_RETIRED_PENDING: int((s) => s.retiredPending),
  DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL: int((s) => s.nvlinkCrcFlit),
  DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL: int((s) => s.nvlinkCrcData),
  DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL: int((s) => s.nvlinkReplay),
  DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL: int((s) => s.nvlinkRecovery),
  DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL: int((s) => s.nvlinkKiBTotal),
  DCGM_FI_DEV_NVLINK_BANDWIDTH_L0: int((s) => s.nvlinkKiBLink0),
  DCGM_FI_DEV_VGPU_LICENSE_STATUS: int((s) => s.vgpuLicenseStatus),
  DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS: int((s) => s.uncorrectableRemappedRows),
  DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS: int((s) => s.correctableRemappedRows),
  DCGM_FI_DEV_ROW_REMAP_FAILURE: int((s) => s.rowRemapFailure),
  DCGM_FI_DEV_ROW_REMAP_PENDING: int((s) => s.rowRemapPending),
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: dbl((s) => s.grEngineActive),
  DCGM_FI_PROF_SM_ACTIVE: dbl((s) => s.smActive),
  DCGM_FI_PROF_SM_OCCUPANCY: dbl((s) => s.smOccupancy),
  DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: dbl((s) => s.tensorActive),
  DCGM_FI_PROF_DRAM_ACTIVE: dbl((s) => s.dramActive),
  DCGM_FI_PROF_PIPE_FP64_ACTIVE: dbl((s) => s.fp64Active),
  DCGM_FI_PROF_PIPE_FP32_ACTIVE: dbl((s) => s.fp32Active),
  DCGM_FI_PROF_PIPE_FP16_ACTIVE: dbl((s) => s.fp16Active),
  DCGM_FI_PROF_PCIE_TX_BYTES: int((s) => s.pcieTxBps),
  DCGM_FI_PROF_PCIE_RX_BYTES: int((s) => s.pcieRxBps),
};

/** dcgm-exporter's own computed fields that the simulator renders (series per GPU and Xid). */
export const EXPORTER_FIELDS: ReadonlySet<string> = new Set(['DCGM_EXP_XID_ERRORS_COUNT']);

/** What a label field's value depends on. */
export interface LabelContext {
  driverVersion: string;
  model: GpuModel;
  gpu: GpuIdentity;
}

/** Fields of type `label`; undefined means blank on this board, so dcgm-exporter leaves the label out. */
export const LABEL_READERS: Readonly<Record<string, (c: LabelContext) => string | undefined>> = {
  DCGM_FI_DRIVER_VERSION: (c) => c.driverVersion,
  DCGM_FI_NVML_VERSION: (c) => `${cudaMajorOf(c.driverVersion)}.${c.driverVersion}`,
  DCGM_FI_DEV_BRAND: () => 'NVIDIA',
  DCGM_FI_DEV_SERIAL: (c) => c.gpu.serial,
  DCGM_FI_DEV_OEM_INFOROM_VER: () => '2.1',
  DCGM_FI_DEV_ECC_INFOROM_VER: () => '7.16',
  DCGM_FI_DEV_POWER_INFOROM_VER: () => undefined,
  DCGM_FI_DEV_INFOROM_IMAGE_VER: (c) => c.model.inforomImage,
  DCGM_FI_DEV_VBIOS_VERSION: (c) => c.model.vbios,
};

/** The CUDA major version a driver branch ships with (R580 -> 13, R525-R575 -> 12). */
function cudaMajorOf(driverVersion: string): number {
  const branch = Number.parseInt(driverVersion, 10);
  if (branch >= 580) return 13;
  if (branch >= 525) return 12;
  return 11;
}

/** Names in a counters file the simulator cannot render; empty when the whole file is supported. */
export function unsupportedFields(names: Iterable<string>, labelNames: Iterable<string>): string[] {
  const out: string[] = [];
  for (const n of names) if (!(n in FIELD_READERS) && !EXPORTER_FIELDS.has(n)) out.push(n);
  for (const n of labelNames) if (!(n in LABEL_READERS)) out.push(n);
  return out;
}
