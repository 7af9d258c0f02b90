// Stable identities for simulated GPUs: UUID, PCI address in NVML's form (the pci_bus_id label) and
// in the kernel's form (the NVRM Xid line), device node, serial. The kernel form is always derived
// from the NVML form so a log line and a metric series of the same GPU always agree.
import type { GpuModel } from './gpu-models.ts';
import { bits32, hashString } from './prng.ts';

/** Everything that names one GPU. */
export interface GpuIdentity {
  index: number;
  /** `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex like NVML. */
  uuid: string;
  /** NVML bus id, e.g. `00000000:3B:00.0` (8-digit domain, upper-case hex). */
  pciBusId: string;
  /** The kernel's form used in `NVRM: Xid (PCI:0000:3b:00)`: 4-digit domain, lower case, no function. */
  kernelPci: string;
  /** dcgm-exporter's device label, `nvidia<index>`. */
  device: string;
  serial: string;
}

const NVML_BUS_ID = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})\.([0-7])$/;

/** Converts an NVML bus id (`00000000:3B:00.0`) to the kernel's NVRM form (`0000:3b:00`). */
export function kernelPciFromBusId(pciBusId: string): string {
  const m = NVML_BUS_ID.exec(pciBusId);
  if (!m) throw new Error(`not an NVML PCI bus id: ${pciBusId}`);
  const [, domain, bus, device] = m as unknown as [string, string, string, string];
  return `${hex(parseInt(domain, 16), 4)}:${bus.toLowerCase()}:${device.toLowerCase()}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Bus numbers for `count` GPUs: the model's board layout first, then unused buses. */
function busNumbers(model: GpuModel, count: number): number[] {
  const out = model.pciBuses.slice(0, count);
  for (let candidate = 0x1b; out.length < count; candidate = (candidate + 0x0b) & 0xff) {
    if (candidate !== 0 && !out.includes(candidate)) out.push(candidate);
  }
  return out;
}

/** The GPUs of one node; the same node name always yields the same identities. */
export function makeGpuIdentities(nodeName: string, count: number, model: GpuModel): GpuIdentity[] {
  const seed = hashString(`gpu-identity/${nodeName}`);
  return busNumbers(model, count).map((bus, index) => {
    const w = [0, 1, 2, 3].map((k) => bits32(seed, index, k));
    const [w0, w1, w2, w3] = w as [number, number, number, number];
    const uuid = `GPU-${hex(w0, 8)}-${hex(w1 >>> 16, 4)}-${hex(w1 & 0xffff, 4)}-${hex(w2 >>> 16, 4)}-${hex(w2 & 0xffff, 4)}${hex(w3, 8)}`;
    const pciBusId = `00000000:${hex(bus, 2).toUpperCase()}:00.0`;
    return {
      index,
      uuid,
      pciBusId,
      kernelPci: kernelPciFromBusId(pciBusId),
      device: `nvidia${index}`,
      serial: `16527${String(bits32(seed, index, 9) % 100000000).padStart(8, '0')}`,
    };
  });
}
