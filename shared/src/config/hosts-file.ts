// The brief's hosts file: one `name ip` per line, `#` comments and blank lines allowed. Every bad
// line is reported with its number, so a 1,000-line file is fixed in one pass, not one error at a time.
import { HostAddress, NodeName, type Node } from './schema.ts';
import type { ErrorDetail } from '../errors.ts';

/** Defaults applied to every host of the file (from the command line). */
export interface HostsFileDefaults {
  ssh_user?: string;
  ssh_key?: string;
  ssh_port?: number;
  labels?: Record<string, string>;
}

/** What a hosts file holds: the good nodes and one error per bad line. */
export interface HostsFileResult {
  nodes: Node[];
  errors: ErrorDetail[];
}

/**
 * Parses hosts-file text. `existing` are nodes already configured: a name or address they use
 * is a duplicate too. Extra columns after `name ip` may be `key=value` labels.
 */
export function parseHostsFile(text: string, defaults: HostsFileDefaults = {}, existing: readonly Node[] = []): HostsFileResult {
  const nodes: Node[] = [];
  const errors: ErrorDetail[] = [];
  const names = new Map<string, string>(existing.map((n) => [n.name, 'already configured']));
  const ips = new Map<string, string>(existing.map((n) => [n.ip, `already configured as ${n.name}`]));
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] ?? '').replace(/#.*$/, '').trim();
    if (line === '') continue;
    const [name, ip, ...rest] = line.split(/\s+/);
    if (name === undefined || ip === undefined) {
      errors.push({ line: lineNo, message: `expected "name ip", got "${line}" (missing IP address)` });
      continue;
    }
    const problems: string[] = [];
    const nameCheck = NodeName.safeParse(name);
    if (!nameCheck.success) problems.push(`node name "${name}" ${nameCheck.error.issues[0]?.message ?? 'is invalid'}`);
    const ipCheck = HostAddress.safeParse(ip);
    if (!ipCheck.success) problems.push(`"${ip}" is not a valid IP address or host name`);
    const labels: Record<string, string> = { ...(defaults.labels ?? {}) };
    for (const extra of rest) {
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(extra);
      if (!m || m[1] === undefined) problems.push(`unexpected "${extra}" (extra columns must be label=value)`);
      else labels[m[1]] = m[2] ?? '';
    }
    const nameSeen = names.get(name);
    if (nameSeen !== undefined) problems.push(`duplicate node name "${name}" (${nameSeen})`);
    const ipSeen = ips.get(ip);
    if (ipSeen !== undefined) problems.push(`duplicate address ${ip} (${ipSeen})`);
    if (problems.length > 0) {
      errors.push({ line: lineNo, message: problems.join('; ') });
      continue;
    }
    names.set(name, `also on line ${lineNo}`);
    ips.set(ip, `also on line ${lineNo}, ${name}`);
    const node: Node = { name, ip, labels };
    if (defaults.ssh_user !== undefined) node.ssh_user = defaults.ssh_user;
    if (defaults.ssh_key !== undefined) node.ssh_key = defaults.ssh_key;
    if (defaults.ssh_port !== undefined) node.ssh_port = defaults.ssh_port;
    nodes.push(node);
  }
  return { nodes, errors };
}
