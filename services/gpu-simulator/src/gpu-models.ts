// What each simulated GPU model looks like to NVML/DCGM: name, memory, clocks, power and thermal
// envelope, PCIe link. H100 idle values come from the real H100 in integration-tests/fixtures/nvidia-h100/
// (nvidia-smi -q -x): 81559 MiB total with 480 MiB reserved, 345/2619 MHz idle clocks, ~72 W and 36 C
// idle, 700 W limit, slowdown about 2 C above the 87 C limit, PCIe Gen5 x16. A100 numbers are the SXM4
// 80GB board's published envelope (400 W, 1410/1593 MHz, PCIe Gen4 x16); its idle and reserved values
// are estimates. V100 (SXM2 32GB: 300 W, 1530/877 MHz, PCIe Gen3 x16, 83/87 C limits) is the one board
// here with page retirement instead of row remapping; its idle, reserved, VBIOS and InfoROM values are
// estimates too.
import { z } from 'zod';

/** One GPU model's envelope; every value is what DCGM would report for that board. */
export interface GpuModel {
  /** Short key used on the command line. */
  key: 'H100' | 'A100' | 'V100';
  /** DCGM's modelName label (NVML device name). */
  name: string;
  architecture: string;
  fbTotalMiB: number;
  fbReservedMiB: number;
  smClockIdleMHz: number;
  smClockMaxMHz: number;
  memClockMHz: number;
  powerIdleW: number;
  powerLimitW: number;
  tempIdleC: number;
  /** Steady GPU temperature at full load with working cooling. */
  tempFullLoadC: number;
  memTempOffsetIdleC: number;
  memTempOffsetLoadC: number;
  /** Above this the driver starts software thermal slowdown (SW thermal bit). */
  maxOperatingTempC: number;
  /** Above this the hardware slows the clocks down (HW thermal bit). */
  slowdownTempC: number;
  nvlinkLinks: number;
  /** NVLink throughput (KiB/s, all links) at 100 % load; feeds DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL. */
  nvlinkKiBps: number;
  /** PCI bus numbers of the GPUs on a typical 8-GPU board of this kind, in NVML index order. */
  pciBuses: number[];
  /** Page retirement (RETIRED_* fields) exists only before Ampere; newer boards remap rows instead
   * (then the *_REMAPPED_ROWS / ROW_REMAP_* fields have values and RETIRED_* is blank, and the other way round). */
  pageRetirement: boolean;
  /** The PCIe link as trained at boot (DCGM_FI_DEV_PCIE_LINK_GEN / _WIDTH, and the MAX_ fields). */
  pcieLinkGen: number;
  pcieLinkWidth: number;
  vbios: string;
  inforomImage: string;
  /** Xid the driver logs for an NVLink error on this generation (NVLink5 Xids 144-150 are Blackwell's). */
  nvlinkXid: number;
}

/** The models the simulator can play. */
export const GPU_MODELS: Record<GpuModel['key'], GpuModel> = {
  H100: {
    key: 'H100',
    name: 'NVIDIA H100 80GB HBM3',
    architecture: 'Hopper',
    fbTotalMiB: 81559,
    fbReservedMiB: 480,
    smClockIdleMHz: 345,
    smClockMaxMHz: 1980,
    memClockMHz: 2619,
    powerIdleW: 72,
    powerLimitW: 700,
    tempIdleC: 36,
    tempFullLoadC: 71,
    memTempOffsetIdleC: 2,
    memTempOffsetLoadC: 8,
    maxOperatingTempC: 87,
    slowdownTempC: 89,
    nvlinkLinks: 18,
    nvlinkKiBps: 200 * 1024 * 1024,
    pciBuses: [0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb],
    pageRetirement: false,
    pcieLinkGen: 5,
    pcieLinkWidth: 16,
    vbios: '96.00.DA.00.0C',
    inforomImage: 'G520.0200.00.05',
    nvlinkXid: 74,
  },
  A100: {
    key: 'A100',
    name: 'NVIDIA A100-SXM4-80GB',
    architecture: 'Ampere',
    fbTotalMiB: 81920,
    fbReservedMiB: 446,
    smClockIdleMHz: 210,
    smClockMaxMHz: 1410,
    memClockMHz: 1593,
    powerIdleW: 61,
    powerLimitW: 400,
    tempIdleC: 32,
    tempFullLoadC: 66,
    memTempOffsetIdleC: 2,
    memTempOffsetLoadC: 7,
    maxOperatingTempC: 85,
    slowdownTempC: 89,
    nvlinkLinks: 12,
    nvlinkKiBps: 150 * 1024 * 1024,
    pciBuses: [0x07, 0x0f, 0x47, 0x4e, 0x87, 0x90, 0xb7, 0xbd],
    pageRetirement: false,
    pcieLinkGen: 4,
    pcieLinkWidth: 16,
    vbios: '92.00.45.00.03',
    inforomImage: 'G506.0212.00.02',
    nvlinkXid: 74,
  },
  V100: {
    key: 'V100',
    name: 'Tesla V100-SXM2-32GB',
    architecture: 'Volta',
    fbTotalMiB: 32768,
    fbReservedMiB: 258,
    smClockIdleMHz: 135,
    smClockMaxMHz: 1530,
    memClockMHz: 877,
    powerIdleW: 42,
    powerLimitW: 300,
    tempIdleC: 33,
    tempFullLoadC: 68,
    memTempOffsetIdleC: 1,
    memTempOffsetLoadC: 6,
    maxOperatingTempC: 83,
    slowdownTempC: 87,
    nvlinkLinks: 6,
    nvlinkKiBps: 75 * 1024 * 1024,
    // DGX-1 layout.
    pciBuses: [0x06, 0x07, 0x0a, 0x0b, 0x85, 0x86, 0x89, 0x8a],
    pageRetirement: true,
    pcieLinkGen: 3,
    pcieLinkWidth: 16,
    vbios: '88.00.80.00.04',
    inforomImage: 'G503.0203.00.04',
    nvlinkXid: 74,
  },
};

/** A model key as typed by a person: case-insensitive, e.g. `h100`. */
export const GpuModelKey = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
  z.enum(['H100', 'A100', 'V100']),
);
export type GpuModelKey = z.infer<typeof GpuModelKey>;
