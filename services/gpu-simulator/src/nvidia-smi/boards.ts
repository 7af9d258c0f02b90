// The 8-GPU boards the nvidia-smi stand-in can play, as data: which GPU model, how many NVLinks per
// GPU and at what speed, where each GPU and NIC sits (NUMA node, PCIe switch) and the PCI buses.
// render.ts turns a board into what `nvidia-smi topo -m`, `nvlink -s/-e`, `--query-gpu` and `-L`
// print. The two NVSwitch boards are laid out like HGX H100 / A100 baseboards with two CPU sockets;
// the CPU ranges and NIC placement are plausible values written for tests, not copied from a machine.
import { GPU_MODELS, type GpuModel } from '../gpu-models.ts';

/** The keys a person types (`--board h100-nv18`). */
export const BOARD_KEYS = ['h100-nv18', 'a100-nv12', 'pcie'] as const;
export type BoardKey = (typeof BOARD_KEYS)[number];

/** Where a GPU or NIC sits: devices on one PCIe switch are PIX, on one NUMA node NODE, else SYS. */
export interface BoardSlot {
  numa: number;
  pcieSwitch: number;
}

/** One board, everything nvidia-smi would tell about it. */
export interface SmiBoard {
  key: BoardKey;
  /** NVML's product name, as in `-L` and `--query-gpu=name`. */
  model: string;
  /** The GPU model whose PCI buses (and UUID derivation) the GPUs take, see gpu-identity.ts. */
  identityModel: GpuModel;
  /** NVLinks from each GPU to the NVSwitch fabric; 0 on a board without NVLink. */
  nvlinksPerGpu: number;
  /** One link's speed as `nvlink -s` prints it, without the unit ("26.562"). */
  linkGbps: string;
  /** One slot per GPU, in NVML index order. */
  gpus: BoardSlot[];
  /** One entry per NIC (NIC0, NIC1, ... in the matrix). */
  nics: Array<BoardSlot & { device: string }>;
  /** CPU Affinity column per NUMA node. */
  cpuAffinity: Record<number, string>;
}

/** Eight GPUs, a PCIe switch per pair (0-1, 2-3, ...), GPUs 0-3 on NUMA 0 and 4-7 on NUMA 1. */
const EIGHT_GPUS: BoardSlot[] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ numa: i < 4 ? 0 : 1, pcieSwitch: Math.floor(i / 2) }));

/** Four ConnectX NICs, each on the switch of one GPU pair. */
const FOUR_NICS = [0, 1, 2, 3].map((i) => ({ device: `mlx5_${i}`, numa: i < 2 ? 0 : 1, pcieSwitch: i }));

/** The boards by key. */
export const SMI_BOARDS: Record<BoardKey, SmiBoard> = {
  'h100-nv18': {
    key: 'h100-nv18',
    model: GPU_MODELS.H100.name,
    identityModel: GPU_MODELS.H100,
    nvlinksPerGpu: 18,
    linkGbps: '26.562',
    gpus: EIGHT_GPUS,
    nics: FOUR_NICS,
    cpuAffinity: { 0: '0-55,112-167', 1: '56-111,168-223' },
  },
  'a100-nv12': {
    key: 'a100-nv12',
    model: GPU_MODELS.A100.name,
    identityModel: GPU_MODELS.A100,
    nvlinksPerGpu: 12,
    linkGbps: '25',
    gpus: EIGHT_GPUS,
    nics: FOUR_NICS,
    cpuAffinity: { 0: '0-63,128-191', 1: '64-127,192-255' },
  },
  pcie: {
    key: 'pcie',
    model: 'NVIDIA H100 PCIe',
    // The PCIe card has no entry of its own in GPU_MODELS: it takes the H100's identity scheme with
    // buses of a server whose PCIe switches each carry two cards.
    identityModel: { ...GPU_MODELS.H100, name: 'NVIDIA H100 PCIe', pciBuses: [0x1a, 0x1d, 0x3a, 0x3d, 0x9a, 0x9d, 0xba, 0xbd] },
    nvlinksPerGpu: 0,
    linkGbps: '',
    gpus: EIGHT_GPUS,
    nics: FOUR_NICS,
    cpuAffinity: { 0: '0-31,64-95', 1: '32-63,96-127' },
  },
};

/** The board for a key as typed (case-insensitive); throws naming the keys there are. */
export function boardByKey(key: string): SmiBoard {
  const k = key.trim().toLowerCase();
  const board = (BOARD_KEYS as readonly string[]).includes(k) ? SMI_BOARDS[k as BoardKey] : undefined;
  if (!board) throw new Error(`unknown board "${key}"; the boards are ${BOARD_KEYS.join(', ')}`);
  return board;
}
