// Check `host-keys`: each node offers the host key pinned for it in known_hosts. A changed or
// revoked key is critical (a reinstalled node, or another machine on its address: AAMI refuses to
// log in until someone compares the fingerprint); a node with no pinned key yet is a warning.
import type { DoctorFinding } from '@aami/shared';
import { findingsOf, type DoctorCheck } from './check.ts';
import type { DoctorSources } from './sources.ts';

export const HOST_KEYS_CHECK = 'host-keys';

const f = findingsOf(HOST_KEYS_CHECK);

export function hostKeysCheck(sources: Pick<DoctorSources, 'nodes'>): DoctorCheck {
  return {
    name: HOST_KEYS_CHECK,
    description: 'every node offers the SSH host key pinned for it',
    async run() {
      const answer = await sources.nodes().catch(() => undefined);
      if (!answer) return []; // the ssh check reports it
      const out: DoctorFinding[] = [];
      let matched = 0;
      for (const r of answer.results) {
        const k = r.host_key;
        if (k.status === 'match') matched++;
        else if (k.status === 'changed') {
          out.push(f.critical(`${r.node} offers host key ${k.offered ?? '?'}, not the pinned ${k.pinned ?? '?'}: AAMI will not log in there`, {
            subject: r.node, fix: `compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the node's console, then aami nodes trust ${r.node}`,
          }));
        } else if (k.status === 'revoked') {
          out.push(f.critical(`${r.node} offers host key ${k.offered ?? '?'}, which known_hosts lists as @revoked`, {
            subject: r.node, fix: `give the node a new host key, then aami nodes trust ${r.node}`,
          }));
        } else if (k.status === 'new') {
          out.push(f.warning(`${r.node} has no pinned host key yet (it offers ${k.offered ?? '?'}), so its clock and exporters were not checked`, {
            subject: r.node, fix: `aami nodes trust ${r.node} --fingerprint ${k.offered ?? 'SHA256:...'} after comparing it on the node`,
          }));
        }
      }
      if (matched > 0) out.push(f.ok(`${matched} node(s) offer their pinned host key`));
      return out;
    },
  };
}
