// PCI address normalisation. The kernel log writes GPU addresses as `0000:3b:00` (no function) or
// `0000:3b:00.0`; dcgm-exporter labels series with NVML's form `00000000:3B:00.0` (8-hex-digit
// domain, upper-case, with function). Events are keyed in NVML's form so they join with
// dcgm-exporter's `pci_bus_id` label.

/**
 * Converts `[PCI:][domain:]bus:device[.function]` (any case) to NVML's `DDDDDDDD:BB:DD.F`.
 * Returns undefined when the text is not a PCI address.
 */
export function normalizePciBusId(address: string): string | undefined {
  let s = address.trim();
  if (s.startsWith('PCI:') || s.startsWith('pci:')) s = s.slice(4);
  const m = /^(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(s);
  if (!m) return undefined;
  const domain = (m[1] ?? '0').padStart(8, '0');
  const bus = (m[2] as string).padStart(2, '0');
  const device = (m[3] as string).padStart(2, '0');
  return `${domain}:${bus}:${device}.${m[4] ?? '0'}`.toUpperCase();
}

/**
 * Reads an address exactly as the NVIDIA driver prints it in a kernel log: `[PCI:]DDDD:BB:DD[.F]`
 * (domain 4 to 8 hex digits, optional; bus and device 2 digits each). A shorter field means the
 * text was cut or edited (`PCI:0000:3b:0`, `PCI:XXXX:XX:XX`, `PCI:<redacted>`): undefined, so the
 * event is reported with an unknown address instead of a wrong GPU's. The node counter
 * (node-files/aami-xid-counter, awk `norm()`) applies the same rule.
 */
export function parseKernelPciAddress(address: string): string | undefined {
  const m = /^(?:PCI:)?(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.([0-7]))?$/.exec(address);
  if (!m) return undefined;
  return `${(m[1] ?? '0').padStart(8, '0')}:${m[2] as string}:${m[3] as string}.${m[4] ?? '0'}`.toUpperCase();
}

/**
 * The `pci_bus_id` label value the node counter writes for an event whose address was not
 * readable (the parser's `pciBusId: ''`).
 */
export const UNKNOWN_PCI_BUS_ID_LABEL = 'unknown';
