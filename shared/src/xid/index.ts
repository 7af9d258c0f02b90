// Public API of the Xid toolkit: catalog (xid-db/) loading and lookup, kernel-log event parsing,
// NVLink decode, PCI address normalisation.
export * from './catalog-schema.ts';
export * from './catalog.ts';
export * from './describe-event.ts';
export * from './kernel-log-parser.ts';
export * from './nvlink-decode.ts';
export * from './pci.ts';
