// Registers the settings a command uses as its flags, and turns a parsed command back into a
// Config: flags over environment over .env over defaults. A command accepts only the flags of
// the settings it reads, so a flag that would be ignored (`dlq list --batch-size 5`) is a
// usage error, not a silent no-op.

import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig, provenanceOf, type Config, type Requirement } from '../config/config';
import { bool, SETTINGS, type Setting, type SettingName } from '../config/settings';
import { describeUnknown } from '../config/unknown-names';

/** Where Redis is and how to log in: every command that opens Redis reads these. */
export const REDIS_SETTINGS = [
  'redisUrl', 'redisPassword', 'redisUsername', 'redisTlsCaFile', 'redisTlsInsecure', 'redisTlsCertFile', 'redisTlsKeyFile',
  'redisSentinels', 'redisSentinelName', 'redisSentinelPassword',
] as const satisfies readonly SettingName[];

/** Where the brokers are and how to log in: every command that opens Kafka reads these. */
export const KAFKA_SETTINGS = [
  'kafkaBrokers', 'kafkaSaslMechanism', 'kafkaSaslUsername', 'kafkaSaslPassword', 'kafkaSsl', 'kafkaSslCaFile', 'kafkaSslCertFile', 'kafkaSslKeyFile', 'kafkaClientId',
] as const satisfies readonly SettingName[];

export const REGISTRY_SETTINGS = ['schemaRegistryUrl', 'schemaRegistryUser', 'schemaRegistryPassword', 'schemaRegistryCaFile'] as const satisfies readonly SettingName[];

const ALL_SETTINGS = Object.keys(SETTINGS) as SettingName[];

/** The settings each command accepts as flags, kept with the command for configOf. */
const accepted = new WeakMap<Command, readonly SettingName[]>();

/**
 * Adds the given settings (by default every one, as `run` takes) as flags, and --env-file.
 * Only `run` lists all of them in its --help; a command with a few lists its own.
 */
export function withSettings(cmd: Command, settings: readonly SettingName[] = ALL_SETTINGS): Command {
  for (const name of settings) {
    const setting: Setting = SETTINGS[name];
    const fallback = setting.fallback !== undefined ? ` (default ${setting.fallback})` : '';
    const help = `${setting.describe}; env ${setting.env}${fallback}`;
    if (setting.parse === bool) {
      // On/off: `--kafka-ssl` / `--no-kafka-ssl`, no value.
      cmd.addOption(new Option(`--${setting.flag}`, help));
      cmd.addOption(new Option(`--no-${setting.flag}`, `turn ${setting.env} off`));
    } else if (setting.secret === true) {
      // Registered, hidden, so that using it is refused naming the variable to set (layers.ts).
      cmd.addOption(new Option(`--${setting.flag} <value>`).hideHelp());
    } else {
      cmd.addOption(new Option(`--${setting.flag} <value>`, setting.secret === 'in-url' ? `${help}; on the command line only without credentials` : help));
    }
  }
  cmd.addOption(new Option('--env-file <path>', 'read settings from this .env file (default: .env in the current working directory, when there is one)'));
  accepted.set(cmd, settings);
  return cmd;
}

/**
 * The validated config for a command: flags over environment over .env over defaults.
 * `require` names settings that must be given (not defaulted), e.g. the Redis a destructive
 * command acts on.
 */
export function configOf(cmd: Command, require?: Requirement, unknownNames: 'stderr' | 'caller' = 'stderr'): Config {
  const opts = cmd.opts<Record<string, string | boolean | undefined>>();
  const flags: Partial<Record<SettingName, string>> = {};
  for (const name of accepted.get(cmd) ?? []) {
    const value = opts[camelCase(SETTINGS[name].flag)];
    if (value !== undefined) flags[name] = String(value);
  }
  // An --env-file the operator named must exist; the implicit ./.env is read only when present.
  const named = opts.envFile !== undefined;
  const config = loadConfig({
    env: process.env,
    flags,
    dotenvPath: path.resolve(typeof opts.envFile === 'string' ? opts.envFile : '.env'),
    dotenvRequired: named,
    ...(require ? { require } : {}),
  });
  // `run` logs them as JSON lines with the rest of its log; a one-shot command says them here.
  if (unknownNames === 'stderr') {
    for (const u of provenanceOf(config).unknown) process.stderr.write(`cdr-bridge: warning: ${describeUnknown(u)}\n`);
  }
  return config;
}

/** commander's attribute name for a flag: `deadletter-key` → `deadletterKey`. */
function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A command that changes Redis for good acts only on a Redis the operator named: run from a
 * directory without the .env, it must not quietly purge, fill or requeue a local Redis instead.
 */
export function namedRedis(why: string): Requirement {
  return { anyOf: ['redisUrl', 'redisSentinels'], why };
}
