// Builds the `aami` command tree. Kept apart from main.ts so tests can run commands in-process.
import { Command, Option } from 'commander';
import { AAMI_VERSION } from '@aami/shared';
import { registerAlertsCommands } from './commands/alerts.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerExplainCommands } from './commands/explain.ts';
import { registerHealthCommands } from './commands/health.ts';
import { registerTopoCommands } from './commands/topo.ts';
import { registerXidCommands } from './commands/xid.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerInstallCommands } from './commands/install.ts';
import { registerLoginCommand } from './commands/login.ts';
import { registerNodesCommands } from './commands/nodes.ts';
import { registerNotificationConfigCommands, registerNotificationsCommands } from './commands/notifications.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTokensCommands } from './commands/tokens.ts';

export const VERSION = AAMI_VERSION;

export function buildProgram(): Command {
  const program = new Command('aami')
    .description('AAMI: monitoring for GPU clusters without Kubernetes')
    .version(VERSION)
    .option('--url <url>', 'API gateway URL (default: $AAMI_URL, saved login, http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (default: $AAMI_TOKEN or saved login)')
    .addOption(new Option('-o, --output <format>', 'output format of read commands').choices(['table', 'json']).default('table'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInitCommand(program);
  registerLoginCommand(program);
  registerInstallCommands(registerNodesCommands(program));
  registerStatusCommand(program);
  registerDoctorCommand(program);
  registerHealthCommands(program);
  registerAlertsCommands(program);
  registerNotificationConfigCommands(registerConfigCommands(program));
  registerNotificationsCommands(program);
  registerTokensCommands(program);
  registerExplainCommands(program);
  registerXidCommands(program);
  registerTopoCommands(program);
  // exitOverride on every subcommand too, so usage errors come back as exit code 2.
  const walk = (c: Command) => { c.exitOverride(); c.commands.forEach(walk); };
  walk(program);
  return program;
}
