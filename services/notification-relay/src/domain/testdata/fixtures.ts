// Shared fixtures for the relay's unit tests: an Xid 79 alert, a catalog lookup holding the real
// xid-db entry for it, and runbook text from the real presets.
import { readFileSync } from 'node:fs';
import { loadXidCatalog } from '@aami/shared/xid/catalog';
import type { XidLookup } from '../enrichment.ts';
import type { WebhookAlert } from '../payload.ts';

/** The real catalog, as main wires it. */
export const catalogLookup: XidLookup = (code) => loadXidCatalog().getXid(code);

/** A firing Xid 79 alert as AAMI's rules and dcgm-exporter label it. */
export function xid79Alert(overrides: Partial<WebhookAlert> = {}, labels: Record<string, string> = {}): WebhookAlert {
  return {
    status: 'firing',
    labels: {
      alertname: 'GPUXidError',
      severity: 'critical',
      node: 'gpu-node-07',
      gpu: '3',
      UUID: 'GPU-5fb4c3a2-7d1e-4c1b-9e0a-2b7f6a1c9d33',
      modelName: 'NVIDIA H100 80GB HBM3',
      pci_bus_id: '00000000:9B:00.0',
      xid: '79',
      ...labels,
    },
    annotations: { summary: 'GPU 3 on gpu-node-07 reported Xid 79', value: '79', runbook_url: 'https://runbooks.example.internal/xid/79' },
    startsAt: '2024-05-01T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=DCGM_FI_DEV_XID_ERRORS',
    fingerprint: '4a1c0d9e8b7f6a5c',
    ...overrides,
  };
}

/**
 * The runbook annotation of `rule` in presets/`file`, folded as YAML reads its `>-` block (lines
 * joined by single spaces): a few lines instead of a YAML dependency the relay does not have.
 */
export function presetRunbook(file: string, rule: string): string {
  const text = readFileSync(new URL(`../../../../../presets/${file}`, import.meta.url), 'utf8');
  const m = new RegExp(`- name: ${rule}\n[\\s\\S]*?\n +runbook: >-\n((?: {8}.*\n?)+)`).exec(text);
  if (!m?.[1]) throw new Error(`presets/${file} has no runbook for ${rule}`);
  return m[1].trim().split(/\s*\n\s*/).join(' ');
}
