// The brief's hosts file: one `name ip` per line, `#` comments and blank lines allowed. Every bad
// line is reported with its number, so a 1,000-line file is fixed in one pass, not one error at a time.
// The text may come from an upload: it is read in linear time (indexOf and anchored patterns only,
// no backtracking over a run of characters), and an error quotes at most QUOTE_CHARS of a line.
import { HostAddress, NodeName, type Node } from './schema.ts';
import type { ErrorDetail } from '../errors.ts';

/** Defaults applied to every host of the file (from the command line). */
export interface HostsFileDefaults {
  ssh_user?: string;
  ssh_key?: string;
  ssh_port?: number;
  labels?: Record<string, string>;
}

/** Most characters of a bad line or column quoted in its error. */
const QUOTE_CHARS = 80;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `text` for an error message: cut to QUOTE_CHARS. */
function quote(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
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
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i] ?? '';
    // a comment runs to the end of the line (a regex such as /#.*$/ would rescan the rest of the
    // line from every '#', and `.` stops at \r and \u2028)
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const [name, ip, ...rest] = line.split(/\s+/);
    if (name === undefined || ip === undefined) {
      errors.push({ line: lineNo, message: `expected "name ip", got "${quote(line)}" (missing IP address)` });
      continue;
    }
    const problems: string[] = [];
    const nameCheck = NodeName.safeParse(name);
    if (!nameCheck.success) problems.push(`node name "${quote(name)}" ${nameCheck.error.issues[0]?.message ?? 'is invalid'}`);
    const ipCheck = HostAddress.safeParse(ip);
    if (!ipCheck.success) problems.push(`"${quote(ip)}" is not a valid IP address or host name`);
    const labels: Record<string, string> = { ...(defaults.labels ?? {}) };
    for (const extra of rest) {
      const eq = extra.indexOf('=');
      const key = eq < 0 ? '' : extra.slice(0, eq);
      if (!LABEL_NAME_RE.test(key)) problems.push(`unexpected "${quote(extra)}" (extra columns must be label=value)`);
      else labels[key] = extra.slice(eq + 1);
    }
    const nameSeen = names.get(name);
    if (nameSeen !== undefined) problems.push(`duplicate node name "${quote(name)}" (${nameSeen})`);
    const ipSeen = ips.get(ip);
    if (ipSeen !== undefined) problems.push(`duplicate address ${quote(ip)} (${ipSeen})`);
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
