// Service entry (docker compose, `npm start`): starts a fleet from AAMI_SIM_* / AAMI_BIND and any
// `start` flags given on the command line, and runs until SIGINT/SIGTERM.
import { runCli } from './cli.ts';

process.exitCode = await runCli(['start', ...process.argv.slice(2)], process.env, {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
