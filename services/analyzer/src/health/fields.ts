// The PromQL behind each FieldKey. Counters are read as rates or increases over one window (the
// `rateWindow` setting, 5m by default), so one late or missed scrape does not flip a check; gauges
// are read as they are. Names are dcgm-exporter's (its CSV names, not DCGM 4.6's renamed fields).
import type { FieldKey } from './types.ts';

/** Expression per field; `$w` is replaced by the rate window. */
const FIELD_EXPRESSIONS: Readonly<Record<FieldKey, string>> = {
  memTemp: 'DCGM_FI_DEV_MEMORY_TEMP',
  remapFailure: 'DCGM_FI_DEV_ROW_REMAP_FAILURE',
  remapPending: 'DCGM_FI_DEV_ROW_REMAP_PENDING',
  remapUncorrectable: 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS',
  retiredPending: 'DCGM_FI_DEV_RETIRED_PENDING',
  retiredSbe: 'DCGM_FI_DEV_RETIRED_SBE',
  retiredDbe: 'DCGM_FI_DEV_RETIRED_DBE',
  eccDbeVolatile: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL',
  pcieReplayPerMin: 'rate(DCGM_FI_DEV_PCIE_REPLAY_COUNTER[$w]) * 60',
  pcieLinkGen: 'DCGM_FI_DEV_PCIE_LINK_GEN',
  pcieLinkWidth: 'DCGM_FI_DEV_PCIE_LINK_WIDTH',
  nvlinkCrcFlitPerS: 'rate(DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL[$w])',
  nvlinkCrcDataPerS: 'rate(DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL[$w])',
  nvlinkReplayIncrease: 'increase(DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL[$w])',
  nvlinkRecoveryIncrease: 'increase(DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL[$w])',
  // AAMI's own, from the topology the install worker reads over SSH (not DCGM): NVLinks active per
  // GPU at the last read, and what nodes of the same kind (or the kind's pin) have.
  nvlinkLinksActive: 'aami_nvlink_links_active',
  nvlinkLinksExpected: 'aami_nvlink_links_expected',
  // The violation counters count nanoseconds spent slowed down: rate / 1e9 is the share of time.
  thermalSlowdownRatio: 'rate(DCGM_FI_DEV_THERMAL_VIOLATION[$w]) / 1e9',
  powerSlowdownRatio: 'rate(DCGM_FI_DEV_POWER_VIOLATION[$w]) / 1e9',
};

/** Every field with its expression for this rate window. */
export function fieldQueries(rateWindow: string): Array<[FieldKey, string]> {
  return (Object.entries(FIELD_EXPRESSIONS) as Array<[FieldKey, string]>).map(([k, e]) => [k, e.replaceAll('$w', rateWindow)]);
}
