#!/usr/bin/env node
// The `aami` command. Exit codes: 0 ok, 1 the action failed, 2 the command line was wrong.
import { CommanderError } from 'commander';
import { CliError } from './errors.ts';
import { terminalSafe } from './output.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version end with code 0; every other commander error is a usage mistake.
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? 0 : 2;
  } else if (err instanceof CliError) {
    // Messages quote the server (its error text and details, a node's reason); their lines stay.
    process.stderr.write(`aami: ${terminalSafe(err.message, { keepNewlines: true })}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`aami: unexpected error: ${terminalSafe((err as Error).stack ?? String(err), { keepNewlines: true })}\n`);
    process.exitCode = 1;
  }
}
