// The real `aami` command tree with the install commands added when the lead's program.ts does not
// register them yet, so tests drive `aami nodes install|test|uninstall|trust` as a user would.
// Usage: node integration-tests/src/install-worker-cli.ts <aami args...>
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../cli/src/program.ts';
import { registerInstallCommands } from '../../cli/src/commands/install.ts';
import { CliError } from '../../cli/src/errors.ts';

const program = buildProgram();
const nodes = program.commands.find((c) => c.name() === 'nodes');
if (nodes && !nodes.commands.some((c) => c.name() === 'install')) {
  registerInstallCommands(nodes);
  const walk = (c: Command) => { c.exitOverride(); c.commands.forEach(walk); };
  walk(nodes);
}
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.code.startsWith('commander.help') || err.code === 'commander.version' ? 0 : 2;
  else if (err instanceof CliError) {
    process.stderr.write(`aami: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`aami: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
