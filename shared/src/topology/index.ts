// GPU interconnect topology from what nvidia-smi prints: `topo -m`, `nvlink -s`, `nvlink -e` and
// `--query-gpu`, and what a node's topology should be judged against (expected.ts).
export * from './topo-matrix.ts';
export * from './nvlink-status.ts';
export * from './nvlink-errors.ts';
export * from './gpu-identity.ts';
export * from './expected.ts';
