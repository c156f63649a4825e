// `cdr-bridge doctor`: checks, with the run settings and without touching a CDR, that Redis,
// Kafka and the schema registry are fit for the bridge, after where its settings came from. One line per check (ok / warn / FAIL,
// what was found, what to do), or --json; exit 0 all ok, 1 any FAIL, 3 warnings only.
// The result is kept in Redis for `status`.

import { Command } from 'commander';
import { ok, warn, type CheckResult } from '../../check';
import { provenanceOf, type Config } from '../../config/config';
import { describeUnknown } from '../../config/unknown-names';
import { doctorExitCode, examine, formatChecks, remember, report, type RedisReach } from '../../bridge/doctor';
import { createLogger } from '../../log';
import { openRedis } from '../connections';
import { configOf, withSettings } from '../options';

export function doctorCommand(): Command {
  return withSettings(new Command('doctor'))
    .description('check that Redis, Kafka and the schema registry are fit for the bridge (exit 0 ok, 1 a FAIL, 3 warnings only)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configOf(cmd, undefined, 'caller');
      const log = createLogger('error');
      let reach: RedisReach;
      try {
        reach = { client: await openRedis(config, 'cdr-bridge-doctor', log) };
      } catch (err) {
        reach = { error: (err as Error).message };
      }
      try {
        const result = report([configCheck(config), ...(await examine(config, reach))], 'doctor');
        if ('client' in reach) await remember(reach.client, config, result);
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatChecks(result.checks));
        process.exitCode = doctorExitCode(result.checks);
      } finally {
        if ('client' in reach) reach.client.disconnect();
      }
    });
}

/** Where the settings came from, as `run` logs it at start, and any name that looks like a setting but is none. */
export function configCheck(config: Config): CheckResult {
  const { envFile, from, unknown } = provenanceOf(config);
  const given = Object.entries(from).map(([name, where]) => `${name} from ${where}`).join(', ');
  const found = `${envFile === null ? 'no .env file read' : `.env file read: ${envFile}`}; ${given === '' ? 'every setting at its default' : `${given}; the rest at their defaults`}`;
  if (unknown.length === 0) return ok('config', found);
  return warn('config', `${found}; not settings: ${unknown.map(describeUnknown).join('; ')}`, 'rename or remove them: the bridge ignores them');
}
