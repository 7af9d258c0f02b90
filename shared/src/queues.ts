// BullMQ queue names and the zod schema of each queue's job data: parsed where a job is picked up.
import { z } from 'zod';
import { InstallAction } from './api/install.ts';

export const QUEUES = {
  install: 'install',
  compile: 'compile',
  notify: 'notify',
} as const;

/** Ask the rule compiler to regenerate files from the config at (at least) this revision. */
export const CompileJob = z.strictObject({
  reason: z.string(),
  revision: z.number().int().min(0),
});
export type CompileJob = z.infer<typeof CompileJob>;

/** One install-worker action on one node. */
export const InstallJob = z.strictObject({
  node: z.string(),
  action: InstallAction,
  runId: z.string(),
});
export type InstallJob = z.infer<typeof InstallJob>;
