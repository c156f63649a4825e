// The settings as documentation: the table in docs/configuration.md and .env.example, both made
// from SETTINGS (scripts/config-docs writes them; test/docs/links.test.ts checks the table is
// current), so what the docs list cannot drift from what the bridge reads.

import { SETTINGS } from './settings';

type AnySetting = { env: string; flag: string; describe: string; fallback?: string; secret?: boolean };

function settings(): AnySetting[] {
  return Object.values(SETTINGS) as AnySetting[];
}

/** The Markdown table of every setting: variable, flag, default, what it is. */
export function settingsTable(): string {
  let md = '| variable | flag | default | what it is |\n|---|---|---|---|\n';
  for (const s of settings()) {
    md += `| \`${s.env}\` | \`--${s.flag}\` | ${s.fallback === undefined ? '—' : '`' + s.fallback + '`'} | ${s.describe.replace(/\|/g, '\\|')}${s.secret ? ' *(secret; or `' + s.env + '_FILE`)*' : ''} |\n`;
  }
  return md;
}

/** .env.example: every setting, commented out where it has no default. */
export function envExample(): string {
  let env = '# cdr-bridge settings. Copy to .env (read at start when present); the environment and\n' +
    '# `cdr-bridge run --<flag>` override it. A secret may also come from <NAME>_FILE (a path).\n\n';
  for (const s of settings()) {
    env += `# ${s.describe}${s.secret ? ' (secret)' : ''}\n${s.fallback === undefined ? '# ' : ''}${s.env}=${s.fallback ?? ''}\n\n`;
  }
  return env;
}

export const CONFIG_TABLE_START = '<!-- config-table:start -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';
