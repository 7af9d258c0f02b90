#!/usr/bin/env node
// The `aami` command. Exit codes: 0 ok, 1 the action failed, 2 the command line was wrong.
import { CommanderError } from 'commander';
import { CliError } from './errors.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version end with code 0; every other commander error is a usage mistake.
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? 0 : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`aami: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`aami: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
