// Renders a node's /metrics exactly as dcgm-exporter's GPU template does:
//   # HELP <field> <help>\n# TYPE <field> <type>\n
//   <field>{gpu="0",UUID="...",pci_bus_id="...",device="nvidia0",modelName="...",Hostname="..."<labels><attributes>} <value>\n
// where <labels> are the counters file's `label` fields sorted by name (plus, for DCGM_EXP_XID_ERRORS_COUNT,
// window_size_in_ms and xid) and <attributes> are err_code/err_msg on DCGM_FI_DEV_XID_ERRORS. A family
// with no series (a field blank on this board, or every GPU gone) is left out entirely, header included.
// Label prefixes are built once per node, so a scrape only joins numbers onto fixed strings.
import type { FieldCatalog } from './field-catalog.ts';
import { EXPORTER_FIELDS, FIELD_READERS, LABEL_READERS, unsupportedFields, type FieldReader } from './field-values.ts';
import type { GpuIdentity } from './gpu-identity.ts';
import type { GpuModel } from './gpu-models.ts';
import type { GpuSample } from './value-model.ts';
import { dcgmErrMsg, KNOWN_XIDS } from './xid-messages.ts';

/** What the labels of a node's series are made from. */
export interface ExpositionContext {
  hostname: string;
  model: GpuModel;
  driverVersion: string;
  gpus: GpuIdentity[];
  xidWindowMs: number;
}

type Family =
  | { kind: 'plain'; header: string; prefixes: string[]; reader: FieldReader }
  | { kind: 'xid-errors'; header: string; prefixes: string[] }
  | { kind: 'xid-count'; header: string; name: string; identity: string[]; labels: Array<Array<[string, string]>> };

/** The exact text dcgm-exporter prints for a value of the given DCGM type. */
export function formatValue(kind: 'int' | 'double', v: number): string {
  return kind === 'double' ? v.toFixed(6) : String(Math.floor(v));
}

/** A node's exposition layout; `render` turns one sample per GPU (undefined = GPU gone) into text. */
export class NodeExposition {
  /** True when every byte of every rendering is ASCII (numbers always are; this checks the fixed text),
   * so the length of the text is its length in bytes and it can be written as latin1 without encoding. */
  readonly ascii: boolean;
  private readonly families: Family[];

  constructor(catalog: FieldCatalog, ctx: ExpositionContext) {
    const bad = unsupportedFields(catalog.metrics.map((m) => m.name), catalog.labels.map((l) => l.name));
    if (bad.length > 0) throw new Error(`${catalog.source}: the simulator has no model for ${bad.join(', ')}`);
    const labelNames = catalog.labels.map((l) => l.name).sort();
    const labelPairs = ctx.gpus.map((gpu) => {
      const pairs: Array<[string, string]> = [];
      for (const name of labelNames) {
        const v = LABEL_READERS[name]?.({ driverVersion: ctx.driverVersion, model: ctx.model, gpu });
        if (v !== undefined && v !== '') pairs.push([name, v]);
      }
      return pairs;
    });
    const identity = ctx.gpus.map(
      (g) => `gpu="${g.index}",UUID="${g.uuid}",pci_bus_id="${g.pciBusId}",device="${g.device}",modelName="${ctx.model.name}",Hostname="${ctx.hostname}"`,
    );
    const joined = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `,${k}="${v}"`).join('');
    this.families = catalog.metrics.map((f): Family => {
      const header = `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
      if (EXPORTER_FIELDS.has(f.name)) {
        const labels = labelPairs.map((pairs) => [...pairs, ['window_size_in_ms', String(ctx.xidWindowMs)] as [string, string]]);
        return { kind: 'xid-count', header, name: f.name, identity, labels };
      }
      const prefixes = identity.map((id, i) => `${f.name}{${id}${joined(labelPairs[i] ?? [])}`);
      if (f.name === 'DCGM_FI_DEV_XID_ERRORS') return { kind: 'xid-errors', header, prefixes };
      const reader = FIELD_READERS[f.name];
      if (!reader) throw new Error(`no reader for ${f.name}`);
      return { kind: 'plain', header, prefixes: prefixes.map((p) => `${p}} `), reader };
    });
    const fixed = JSON.stringify(this.families) + [0, ...KNOWN_XIDS, 999].map(dcgmErrMsg).join('');
    this.ascii = /^[\x00-\x7f]*$/.test(fixed);
  }

  /** The /metrics body for these samples (index = GPU index). */
  render(samples: ReadonlyArray<GpuSample | undefined>): string {
    // Plain concatenation: V8 builds a rope that is flattened once when the response is written,
    // which measured cheaper here than collecting pieces and joining them.
    let out = '';
    for (const fam of this.families) {
      let body = '';
      if (fam.kind === 'plain') {
        for (let g = 0; g < samples.length; g++) {
          const s = samples[g];
          if (!s) continue;
          const v = fam.reader.read(s);
          if (v === undefined) continue;
          body += `${fam.prefixes[g]}${formatValue(fam.reader.kind, v)}\n`;
        }
      } else if (fam.kind === 'xid-errors') {
        for (let g = 0; g < samples.length; g++) {
          const s = samples[g];
          if (!s) continue;
          body += `${fam.prefixes[g]},err_code="${s.lastXid}",err_msg="${dcgmErrMsg(s.lastXid)}"} ${s.lastXid}\n`;
        }
      } else {
        for (let g = 0; g < samples.length; g++) {
          const s = samples[g];
          if (!s) continue;
          const base = fam.labels[g] ?? [];
          const series = s.xidCounts.size === 0 ? [[undefined, 0] as const] : [...s.xidCounts].sort((a, b) => a[0] - b[0]);
          for (const [xid, count] of series) {
            const pairs = xid === undefined ? base : [...base, ['xid', String(xid)] as [string, string]];
            const labels = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
            body += `${fam.name}{${fam.identity[g]}${labels.map(([k, v]) => `,${k}="${v}"`).join('')}} ${count}\n`;
          }
        }
      }
      // A family without series is left out, header included.
      if (body !== '') out += fam.header + body;
    }
    return out;
  }
}
