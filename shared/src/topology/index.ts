// GPU interconnect topology from what nvidia-smi prints: `topo -m` and `nvlink -s`.
export * from './topo-matrix.ts';
export * from './nvlink-status.ts';
