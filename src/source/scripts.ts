// Loads the reliable list's Lua scripts (src/source/lua/<name>-<numberOfKeys>.lua) once and
// installs them on a connection as commands; ioredis runs them with EVALSHA (EVAL the first time
// on a connection). Each declares its flags on a first line (`#!lua flags=allow-oom`, Redis 7.0+):
// every write the bridge makes to move CDRs out of Redis must work on a full Redis.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';

// Compiled to dist/src/source/, the .lua files stay in src/source/lua/.
const LUA_DIR = path.resolve(__dirname, '../../../src/source/lua');

interface ScriptFile {
  name: string;
  numberOfKeys: number;
  lua: string;
}

let cache: ScriptFile[] | undefined;

function scriptFiles(): ScriptFile[] {
  cache ??= readdirSync(LUA_DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => {
      const m = /^(.+)-(\d+)\.lua$/.exec(f);
      if (!m) throw new Error(`Lua script ${f} is not named <name>-<numberOfKeys>.lua`);
      const name = (m[1] as string).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      return { name, numberOfKeys: Number(m[2]), lua: readFileSync(path.join(LUA_DIR, f), 'utf8') };
    });
  return cache;
}

/** The script commands as installed on a connection (Buffer variants keep bytes exact). */
export interface ScriptCommands {
  takeBuffer(source: string, landing: string, processing: string, lease: string, meta: string, batches: string, max: number, token: string, listId: string): Promise<[] | [number, Buffer, Buffer[], number]>;
  ack(processing: string, deadLetter: string, meta: string, batches: string, ...args: (Buffer | string | number)[]): Promise<[number, number, number]>;
  adoptUnrecorded(processing: string, source: string, batches: string): Promise<[number, number]>;
  acquireLease(lease: string, token: string, ttlMs: number): Promise<number>;
  seizeLease(lease: string, token: string, ttlMs: number): Promise<number>;
  renewLease(lease: string, token: string, ttlMs: number): Promise<number>;
  releaseLease(lease: string, token: string): Promise<number>;
  requeueInFlight(processing: string, source: string, batches: string, max: number): Promise<[number, number]>;
  requeueDeadLetters(deadLetter: string, source: string, ...pairs: Buffer[]): Promise<number>;
}

export type ScriptedRedis = Redis & ScriptCommands;

let names: Map<string, string> | undefined;

/**
 * The file a script came from (`take-6.lua`), given what a command carries: its SHA1 for EVALSHA,
 * or its source for EVAL; `unknown` for a script the bridge does not own.
 */
export function scriptName(shaOrSource: string): string {
  if (!names) {
    names = new Map();
    for (const s of scriptFiles()) {
      const file = `${s.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-${s.numberOfKeys}.lua`;
      names.set(createHash('sha1').update(s.lua).digest('hex'), file);
      names.set(s.lua, file);
    }
  }
  return names.get(shaOrSource) ?? 'unknown';
}

export function installScripts(redis: Redis): ScriptedRedis {
  for (const s of scriptFiles()) {
    if (!(s.name in redis)) redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
  return redis as ScriptedRedis;
}
