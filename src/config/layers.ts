// Where each setting's text comes from: flags over the environment over the .env file over the
// defaults. A secret's <NAME>_FILE counts in the layer it is set in (a mounted secret named in
// the environment beats a plain value in a .env); NAME and NAME_FILE both given, in any layers,
// is refused, since either choice would silently ignore what the operator wrote.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import { bool, SETTINGS, type Setting, type SettingName } from './settings';

export interface Given {
  raw: string;
  /** Where it came from, as `status`, `doctor` and the start line show it: `--batch-size`, `environment`, `.env: REDIS_URL_FILE`. */
  from: string;
}

export interface Layers {
  flags: Partial<Record<SettingName, string | undefined>>;
  env: NodeJS.ProcessEnv;
  dotenv: Record<string, string>;
}

export function givenValues(layers: Layers): Partial<Record<SettingName, Given>> {
  const out: Partial<Record<SettingName, Given>> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    const flag = layers.flags[name];
    if (flag !== undefined) refuseSecretFlag(setting, flag);
    const fileVar = `${setting.env}_FILE`;
    const secret = setting.secret !== undefined;
    const plainAt = [flag !== undefined && `--${setting.flag}`, layers.env[setting.env] !== undefined && 'the environment', layers.dotenv[setting.env] !== undefined && 'the .env file'].filter(Boolean);
    const fileAt = secret ? [layers.env[fileVar] !== undefined && 'the environment', layers.dotenv[fileVar] !== undefined && 'the .env file'].filter(Boolean) : [];
    if (plainAt.length > 0 && fileAt.length > 0) {
      throw new ConfigError(`${setting.env} and ${fileVar}`, `both given (${setting.env} in ${plainAt.join(' and ')}, ${fileVar} in ${fileAt.join(' and ')}); keep one`);
    }
    const fromFile = (path: string, layer: string): Given => ({ raw: readSecretFile(fileVar, path), from: `${layer}: ${fileVar}` });
    const given: Given | undefined = flag !== undefined ? { raw: flag, from: flag === 'false' && setting.parse === bool ? `--no-${setting.flag}` : `--${setting.flag}` }
      : layers.env[setting.env] !== undefined ? { raw: layers.env[setting.env] as string, from: 'environment' }
      : secret && layers.env[fileVar] !== undefined ? fromFile(layers.env[fileVar] as string, 'environment')
      : layers.dotenv[setting.env] !== undefined ? { raw: layers.dotenv[setting.env] as string, from: '.env' }
      : secret && layers.dotenv[fileVar] !== undefined ? fromFile(layers.dotenv[fileVar] as string, '.env')
      : undefined;
    if (given) out[name] = given;
  }
  return out;
}

/** A secret on the command line is visible to every user of the host (`ps`, /proc/<pid>/cmdline). */
function refuseSecretFlag(setting: Setting, value: string): void {
  if (setting.secret === undefined) return;
  if (setting.secret === 'in-url' && !hasCredentials(value)) return;
  const what = setting.secret === 'in-url' ? 'a URL with credentials' : 'a secret';
  throw new ConfigError(`--${setting.flag}`, `${what} is not taken on the command line (every user of the host can read it there): set ${setting.env} or ${setting.env}_FILE in the environment or the .env file`);
}

function hasCredentials(raw: string): boolean {
  try {
    const u = new URL(raw.trim());
    return u.username !== '' || u.password !== '';
  } catch {
    return /\/\/[^/]*@/.test(raw);
  }
}

function readSecretFile(fileVar: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(fileVar, `cannot read "${path}": ${(err as Error).message}`);
  }
}
