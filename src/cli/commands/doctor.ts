// `cdr-bridge doctor`: checks, with the run settings and without touching a CDR, that Redis,
// Kafka and the schema registry are fit for the bridge. One line per check (ok / warn / FAIL,
// what was found, what to do), or --json; exit 0 all ok, 1 any FAIL, 3 warnings only.
// The result is kept in Redis for `status`.

import { Command } from 'commander';
import { doctorExitCode, examine, formatChecks, remember, report, type RedisReach } from '../../bridge/doctor';
import { createLogger } from '../../log';
import { openRedis } from '../connections';
import { configOf, withSettings } from '../options';

export function doctorCommand(): Command {
  return withSettings(new Command('doctor'))
    .description('check that Redis, Kafka and the schema registry are fit for the bridge (exit 0 ok, 1 a FAIL, 3 warnings only)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      const log = createLogger('error');
      let reach: RedisReach;
      try {
        reach = { client: await openRedis(config, 'cdr-bridge-doctor', log) };
      } catch (err) {
        reach = { error: (err as Error).message };
      }
      try {
        const result = report(await examine(config, reach), 'doctor');
        if ('client' in reach) await remember(reach.client, config, result);
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatChecks(result.checks));
        process.exitCode = doctorExitCode(result.checks);
      } finally {
        if ('client' in reach) reach.client.disconnect();
      }
    });
}
