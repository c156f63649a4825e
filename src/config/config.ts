// One typed, validated, frozen Config from (lowest to highest precedence) defaults, a .env
// file, the environment and CLI flags (layers.ts), with where each setting came from and the
// names that look like settings but are none. Nothing else in the bridge reads process.env.

import { ConfigError } from '../errors';
import { checkConsistency } from './consistency';
import { readDotenv } from './dotenv';
import { givenValues } from './layers';
import { unknownNames, type UnknownName } from './unknown-names';
import { InvalidValue, SETTINGS, redactUrl, type SettingName } from './settings';

type Parsed<K extends SettingName> = ReturnType<(typeof SETTINGS)[K]['parse']>;

export type Config = {
  readonly [K in SettingName]: K extends 'processingKey' | 'deadLetterKey' | 'leaseKey' | 'kafkaTransactionalId' ? string : K extends 'redisWaitReplicas' | 'progressTimeoutMs' ? number : Parsed<K>;
};

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Flag values keyed by setting name (as commander gives them, camelCased). */
  flags?: Partial<Record<SettingName, string | undefined>>;
  /** Path of the .env file; read when it exists. */
  dotenvPath?: string;
  /** The .env file must exist (the operator named it). */
  dotenvRequired?: boolean;
  /** Settings that must be given, not defaulted. */
  require?: Requirement;
}

/** One of `anyOf` must be given by a flag, the environment or the .env file; `why` says what is at stake. */
export interface Requirement {
  anyOf: readonly SettingName[];
  why: string;
}

/** Where the config came from, for the start line, `status --json` and `doctor`. */
export interface Provenance {
  /** The .env file read, or null when none was. */
  envFile: string | null;
  /** Per setting given (not defaulted), by variable name: where its value came from. */
  from: Record<string, string>;
  /** Names that look like settings but are none. */
  unknown: UnknownName[];
}

const provenances = new WeakMap<Config, Provenance>();

export function provenanceOf(config: Config): Provenance {
  return provenances.get(config) ?? { envFile: null, from: {}, unknown: [] };
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const dotenvFile = sources.dotenvPath ? readDotenv(sources.dotenvPath, sources.dotenvRequired) : undefined;
  const dotenv = dotenvFile ?? {};
  const given = givenValues({ flags: sources.flags ?? {}, env, dotenv });
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = given[name];
    if (value) from[setting.env] = value.from;
    const raw = value?.raw ?? ('fallback' in setting ? setting.fallback : undefined);
    if (raw === undefined) {
      out[name] = undefined;
      continue;
    }
    try {
      out[name] = setting.parse(raw);
    } catch (err) {
      if (err instanceof InvalidValue) throw new ConfigError(setting.env, err.message);
      throw err;
    }
  }
  const required = sources.require;
  if (required && !required.anyOf.some((name) => given[name] !== undefined)) {
    const first = SETTINGS[required.anyOf[0] as SettingName];
    const fallback = 'fallback' in first ? `the default ${first.fallback}` : 'a default';
    throw new ConfigError(first.env, `is not set (environment, --${first.flag} or a .env file); ${required.why}, so it does not assume ${fallback}`);
  }
  const source = out.sourceKey as string;
  out.processingKey ??= `${source}:processing`;
  out.deadLetterKey ??= `${source}:deadletter`;
  out.leaseKey ??= `${source}:lease`;
  out.kafkaTransactionalId ??= `cdr-bridge:${source}`;
  out.redisWaitReplicas ??= out.redisSentinels === undefined ? 0 : 1;
  // A few leases: a broker's leader election or a slow commit is not a stall.
  out.progressTimeoutMs ??= 3 * (out.leaseTtlMs as number);
  if ((out.progressTimeoutMs as number) < (out.leaseTtlMs as number)) {
    throw new ConfigError('PROGRESS_TIMEOUT_MS', `must be at least LEASE_TTL_MS (${out.leaseTtlMs as number}): the watchdog looks once per renewal, and a shorter bound would take a broker's leader election for a stall`);
  }
  const keys = [out.sourceKey, out.processingKey, out.deadLetterKey, out.leaseKey];
  if (new Set(keys).size !== keys.length) {
    throw new ConfigError('CDR_PROCESSING_KEY', 'the source, processing, dead-letter and lease keys must all differ');
  }
  checkConsistency(out as Config);
  const config = Object.freeze(out) as Config;
  provenances.set(config, { envFile: dotenvFile !== undefined ? (sources.dotenvPath ?? null) : null, from, unknown: unknownNames(env, dotenv) });
  return config;
}

/** The config as it is safe to log or print: secrets redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = config[name];
    if (value === undefined) continue;
    if ('secret' in setting && setting.secret) {
      out[name] = typeof value === 'string' && /^[a-z]+:\/\//.test(value) ? redactUrl(value) : '***';
    } else {
      out[name] = value;
    }
  }
  return out;
}
