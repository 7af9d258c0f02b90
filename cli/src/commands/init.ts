// `aami init`: writes a starter config.yaml (no server needed) and says what to do next.
import { resolve, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigStore, SECRETS_FILE_NAME } from '@aami/shared';
import { CliError } from '../errors.ts';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a starter config.yaml and print the next steps')
    .option('--dir <path>', 'data directory that holds config.yaml', process.env.AAMI_DATA_DIR ?? './data')
    .option('--cluster-name <name>', 'cluster name (a label on every series)', 'gpu-cluster')
    .option('--force', 'overwrite an existing config.yaml')
    .action(async (opts: { dir: string; clusterName: string; force?: boolean }) => {
      const path = join(resolve(opts.dir), 'config.yaml');
      const store = new ConfigStore(path);
      try {
        await store.create({ cluster: { name: opts.clusterName }, alerts: { presets: ['gpu-basic'] } }, opts.force ?? false);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      process.stdout.write(`Wrote ${path} (cluster "${opts.clusterName}", preset gpu-basic).

Next steps:
  1. Start AAMI:            make dev   (local processes)   or   docker compose up -d
     The API gateway prints an admin token once at first start; save it:
                            aami login --url http://127.0.0.1:8080 --token <token>
  2. Register nodes:        aami nodes add --file hosts.txt --user root --key ~/.ssh/id_ed25519
  3. Install exporters:     aami nodes install --all
  4. Apply alert presets:   aami alerts apply-preset gpu-production
  5. Notifications:         aami config notifications slack --webhook '\${SLACK_WEBHOOK_URL}'
  6. Check:                 aami status   and   aami nodes list

config.yaml holds no secrets and may be kept in Git. A webhook URL or SMTP password you set is
kept in ${SECRETS_FILE_NAME} beside it (mode 0600): keep that file out of Git, back it up with the data folder.
`);
    });
}
