// Older AAMI kept every service's state in the config volume. Now each writer has its own volume
// (the config volume is read-only to all but the gateway), so at the first start after an upgrade
// aami-init copies what an older release left there: the pinned host keys and the artifact store
// (install worker) and the GPU health memory (analyzer). A target that exists is never touched; the
// old copy stays where it was until the operator deletes it.
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '@aami/shared';

export interface StateMove {
  /** What it is, for the log. */
  what: string;
  from: string;
  to: string;
}

/** The moves for this data folder and the new places (AAMI_KNOWN_HOSTS, ...); none when a place is not set. */
export function stateMoves(dataDir: string, env: NodeJS.ProcessEnv): StateMove[] {
  const moves: StateMove[] = [];
  if (env.AAMI_KNOWN_HOSTS) moves.push({ what: 'pinned host keys', from: join(dataDir, 'known_hosts'), to: env.AAMI_KNOWN_HOSTS });
  if (env.AAMI_ARTIFACTS_DIR) moves.push({ what: 'artifact store', from: join(dataDir, 'artifacts'), to: env.AAMI_ARTIFACTS_DIR });
  if (env.AAMI_HEALTH_STATE_FILE) moves.push({ what: 'GPU health memory', from: join(dataDir, 'health', 'state.json'), to: env.AAMI_HEALTH_STATE_FILE });
  return moves.filter((m) => m.from !== m.to);
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

/** Copies each `from` that exists to its missing `to`; returns what was copied. */
export function moveState(moves: StateMove[], log: Logger, owner?: { uid: number; gid: number }): StateMove[] {
  const done: StateMove[] = [];
  for (const m of moves) {
    if (owner) {
      // The writer's volume root must be its own, whatever image made the volume first.
      mkdirSync(dirname(m.to), { recursive: true });
      chownSync(dirname(m.to), owner.uid, owner.gid);
    }
    if (!existsSync(m.from) || existsSync(m.to)) continue;
    cpSync(m.from, m.to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
    if (owner) chownTree(m.to, owner.uid, owner.gid);
    log.warn(`moved the ${m.what} out of the config volume; the old copy stays, delete it once all is well`, { from: m.from, to: m.to });
    done.push(m);
  }
  return done;
}
