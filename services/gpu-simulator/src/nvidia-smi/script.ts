// nvidia-smi on a simulated node without a GPU: `writeSmiFiles` writes what each answered argument
// form prints (render.ts) into a folder, and `smiScript` is a POSIX sh `nvidia-smi` that prints those
// files. One script can serve many simulated nodes behind one sshd: it reads from
// ROOT/<server address of the SSH connection> when that folder exists, else from ROOT itself, so
// each address can play its own board or fault. The script runs under dash (Debian's /bin/sh).
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { SmiBoard } from './boards.ts';
import { INVALID_ARGUMENTS, INVALID_ARGUMENTS_CODE, renderSmi, SMI_FORMS, type SmiForm, type SmiOptions } from './render.ts';

/** The file each form's answer is kept in. */
export const SMI_FILES: Record<SmiForm, string> = {
  'topo-m': 'topo-m.txt',
  'nvlink-s': 'nvlink-s.txt',
  'nvlink-e': 'nvlink-e.txt',
  'query-gpu': 'query-gpu.csv',
  'list-gpus': 'L.txt',
};

/** Writes every form's answer for `board` into `dir` (made when missing); returns the paths written. */
export function writeSmiFiles(dir: string, board: SmiBoard, opts: SmiOptions): string[] {
  mkdirSync(dir, { recursive: true });
  return (Object.entries(SMI_FILES) as Array<[SmiForm, string]>).map(([form, file]) => {
    const path = join(dir, file);
    writeFileSync(path, renderSmi(board, opts, SMI_FORMS[form][0]!).stdout);
    return path;
  });
}

/** `text` as one sh word: in single quotes, each single quote in it written as '\''. */
const quoted = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** Throws when `root` cannot be put into the script as is. */
function checkRoot(root: string): void {
  if (root === '') throw new Error('the nvidia-smi files root is empty');
  if (root.includes("'")) throw new Error(`the nvidia-smi files root ${JSON.stringify(root)} has a single quote, which a root may not have`);
  if (/[\x00-\x1f\x7f]/.test(root)) throw new Error(`the nvidia-smi files root ${JSON.stringify(root)} has a newline or another control character`);
  if (!isAbsolute(root)) throw new Error(`the nvidia-smi files root ${JSON.stringify(root)} is not an absolute path; the script runs from any folder`);
}

/** The `nvidia-smi` script that answers from the files under `root` (see the file comment). */
export function smiScript(root: string): string {
  checkRoot(root);
  const branches = (Object.entries(SMI_FORMS) as Array<[SmiForm, ReadonlyArray<readonly string[]>]>).map(([form, spellings]) => {
    // `$#:$1:$2` names the arguments exactly: none of the spellings holds a colon or a quote.
    const patterns = spellings.map((s) => quoted(`${s.length}:${s[0] ?? ''}:${s[1] ?? ''}`));
    return `  ${patterns.join('|')}) show ${quoted(SMI_FILES[form])} ;;`;
  });
  return `#!/bin/sh
# nvidia-smi stand-in from the AAMI GPU simulator (gpu-simulator smi-script). It prints the files
# gpu-simulator smi-files wrote, from ROOT/<server address of this SSH connection> when that folder
# exists, else from ROOT; any other arguments get nvidia-smi's answer to an invalid combination.
root=${quoted(root)}

# The third field of SSH_CONNECTION ("client port server port") is the address the client reached.
third() { [ "$#" -ge 3 ] && printf '%s' "$3"; }
unset IFS
set -f
addr=$(third \${SSH_CONNECTION-})
set +f
# An IPv4 or IPv6 address only: never a path of its own.
case $addr in
  ''|.|..|*[!0-9A-Fa-f.:]*) addr= ;;
esac
dir=$root
if [ -n "$addr" ] && [ -d "$root/$addr" ]; then dir=$root/$addr; fi

show() { cat "$dir/$1" || exit 1; exit 0; }

case "$#:\${1-}:\${2-}" in
${branches.join('\n')}
esac
printf '%s\\n' ${quoted(INVALID_ARGUMENTS.trimEnd())}
exit ${INVALID_ARGUMENTS_CODE}
`;
}
