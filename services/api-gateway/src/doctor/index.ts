// Every doctor check, in the order `aami doctor` reports them when they are equally bad: the
// stack first, then what it does with config, then Prometheus, the nodes and notifications.
// A new check is one file here and one line in this list. Left out on purpose: the age of the
// last backup (AAMI has no backup tool yet, so there is nothing to read).
import type { DoctorCheck } from './check.ts';
import { clockSkewCheck } from './clock-skew.ts';
import { compileCheck } from './compile.ts';
import { credentialsCheck } from './credentials.ts';
import { deadLettersCheck } from './dead-letters.ts';
import { exporterVersionsCheck } from './exporter-versions.ts';
import { hostKeysCheck } from './host-keys.ts';
import { prometheusDiskCheck } from './prometheus-disk.ts';
import { redisMemoryCheck } from './redis-memory.ts';
import { scrapeCheck } from './scrape.ts';
import { servicesCheck } from './services.ts';
import { sshCheck } from './ssh.ts';
import type { DoctorSources } from './sources.ts';

export type { DoctorCheck } from './check.ts';
export { runDoctor } from './run.ts';
export { createDoctorSources, type DoctorSources } from './sources.ts';

/** The checks of one run, reading `sources` (each source is read once and shared). */
export function doctorChecks(sources: DoctorSources): DoctorCheck[] {
  return [
    servicesCheck(sources),
    credentialsCheck(sources),
    compileCheck(sources),
    scrapeCheck(sources),
    prometheusDiskCheck(sources),
    sshCheck(sources),
    hostKeysCheck(sources),
    clockSkewCheck(sources),
    exporterVersionsCheck(sources),
    deadLettersCheck(sources),
    redisMemoryCheck(sources),
  ];
}
