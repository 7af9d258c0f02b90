// Upload and apply as one privileged command. The tarball is piped into a root shell that makes a
// fresh private folder with mktemp (root-owned, mode 700, a name nobody can guess or pre-create),
// unpacks there, checks the SHA-256 of every file, and only then runs the apply script from the same
// folder. No other user on the node can see, replace or redirect a staged file between the check
// and the copy, and a failed check stops before anything is installed. The folder is removed on
// every exit.
import { createHash } from 'node:crypto';
import { shq, type ExecResult, type SshSession } from '../ssh/executor.ts';
import { tarStream, type TarContent } from '../ssh/tar.ts';
import { PATHS } from './desired.ts';

/** One file to stage, by the name the apply script uses. */
export interface StagedFile {
  name: string;
  size: number;
  sha256: string;
  content: TarContent;
}

/** Markers the staged command prints when it stops before the apply script. */
export const STAGE_MARKERS = { mktemp: 'aami-stage-mktemp-failed', checksum: 'aami-stage-checksum-failed' } as const;

const SAFE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const APPLY = 'apply.sh';

/** The shell (run as root) that stages the tarball on stdin, checks every sum, and runs apply.sh. */
export function stagedCommand(files: Array<Pick<StagedFile, 'name' | 'sha256'>>): string {
  for (const f of files) {
    if (!SAFE_NAME.test(f.name)) throw new Error(`staged file name not allowed: ${f.name}`);
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) throw new Error(`bad sha256 for ${f.name}`);
  }
  if (!files.some((f) => f.name === APPLY)) throw new Error(`the staged files have no ${APPLY}`);
  const sums = files.map((f) => `${f.sha256}  ${f.name}`).join('\n');
  return [
    'set -eu',
    'umask 077',
    'export LC_ALL=C',
    `stage=$(mktemp -d ${PATHS.staging}/aami-stage.XXXXXXXXXX) || { echo ${STAGE_MARKERS.mktemp}; exit 4; }`,
    // The trap is set only once the folder is ours, so it never removes anything else.
    'trap \'rm -rf "$stage"\' EXIT',
    'tar -x --no-same-owner --no-same-permissions -f - -C "$stage"',
    'cd "$stage"',
    `printf '%s\\n' ${shq(sums)} | sha256sum -c --quiet --strict - >&2 || { echo ${STAGE_MARKERS.checksum}; exit 4; }`,
    `bash ./${APPLY} "$stage"`,
  ].join('\n');
}

/**
 * Sends `files` plus `applyScript` to the node and runs the script there as root (through `sudo`,
 * empty when the login is root), with the folder holding the checked files as its $1. `onSent`
 * runs once the last byte is on its way (the node is applying from then on).
 */
export function runStaged(session: SshSession, sudo: string, files: StagedFile[], applyScript: string, label: string, onSent?: () => void): Promise<ExecResult> {
  const script = Buffer.from(applyScript);
  const all: StagedFile[] = [...files, { name: APPLY, size: script.length, sha256: createHash('sha256').update(script).digest('hex'), content: script }];
  if (new Set(all.map((f) => f.name)).size !== all.length) throw new Error('two staged files share a name');
  const tar = tarStream(all.map((f) => ({ name: f.name, size: f.size, content: f.content, mode: 0o600 })));
  if (onSent) tar.once('end', onSent);
  return session.exec(`${sudo}bash -c ${shq(stagedCommand(all))}`, { stdin: tar, label });
}
