// Registers every setting of config/settings.ts as a flag on a command, and turns a parsed
// command back into a Config, so all commands share one configuration surface.

import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig, type Config } from '../config/config';
import { SETTINGS, type SettingName } from '../config/settings';

/**
 * Adds every setting as a flag. Only `run` lists them in its --help; the other commands
 * accept the same flags but keep their help to what is their own.
 */
export function withSettings(cmd: Command): Command {
  const listed = cmd.name() === 'run';
  for (const setting of Object.values(SETTINGS)) {
    const fallback = 'fallback' in setting ? ` (default ${setting.fallback})` : '';
    const option = new Option(`--${setting.flag} <value>`, `${setting.describe}; env ${setting.env}${fallback}`);
    cmd.addOption(listed ? option : option.hideHelp());
  }
  cmd.addOption(new Option('--env-file <path>', 'read settings from this .env file').default('.env'));
  if (!listed) cmd.addHelpText('after', '\nEvery setting of `cdr-bridge run --help` (e.g. --redis-url, --kafka-topic) is accepted here too, as a flag or from the environment.');
  return cmd;
}

/** The validated config for a command: flags over environment over .env over defaults. */
export function configOf(cmd: Command): Config {
  const opts = cmd.opts<Record<string, string | undefined>>();
  const flags: Partial<Record<SettingName, string>> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, { flag: string }][]) {
    const value = opts[camelCase(setting.flag)];
    if (value !== undefined) flags[name] = value;
  }
  return loadConfig({ env: process.env, flags, dotenvPath: path.resolve(opts.envFile ?? '.env') });
}

/** commander's attribute name for a flag: `deadletter-key` → `deadletterKey`. */
function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
