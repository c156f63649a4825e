// What the bridge needs of the dialler's Redis, checked without touching a CDR: a version
// with BLMOVE and RPOP count, every command the bridge and its Lua scripts call (a managed or
// hardened Redis may rename some away), persistence, an eviction policy that cannot drop the
// lists, and lists (or nothing) at the bridge's keys.

import type Redis from 'ioredis';
import { fail, firstLine, ok, warn, type CheckResult } from '../check';
import { parseInfo } from './redis-info';
import { describeMemory, MEMORY_WARN_RATIO, readRedisMemory } from './redis-memory';
import { companionKeys } from './reliable-list';

/** The lists the bridge is configured with; their companion keys are derived from the processing list's name. */
export interface ListKeyNames {
  source: string;
  processing: string;
  deadLetter: string;
}

/**
 * Every command the bridge sends, directly or from its Lua scripts (src/source/lua): a
 * renamed-away one fails only when first used, as a retry loop. CONFIG is left out: the
 * bridge copes without it (it only reads persistence settings with it).
 */
export const REDIS_COMMANDS = [
  'blmove', 'rpop', 'lpop', 'lpush', 'rpush', 'lrange', 'lindex', 'llen', 'lrem', 'ltrim',
  'hget', 'hincrby', 'hsetnx', 'evalsha', 'eval', 'script', 'get', 'set', 'del', 'pexpire', 'pttl', 'type', 'time', 'wait',
  'multi', 'exec', 'ping',
] as const;

/** The memory check: a FAIL there does not stop `run`, since the bridge is what drains a full Redis. */
export const MEMORY_CHECK = 'redis.memory';

export async function checkRedis(redis: Redis, keys: ListKeyNames): Promise<CheckResult[]> {
  const info = parseInfo(await redis.info('server').catch(() => ''));
  return [
    versionCheck(info.redis_version),
    await commandsCheck(redis),
    await persistenceCheck(redis),
    await evictionCheck(redis),
    await memoryCheck(redis, keys),
    await keyTypesCheck(redis, keys),
  ];
}

function versionCheck(version: string | undefined): CheckResult {
  const name = 'redis.version';
  if (version === undefined) return warn(name, 'INFO does not say the version', 'make sure the server is Redis 7.0 or newer (script flags, BLMOVE, RPOP with a count)');
  const [major = 0] = version.split('.').map(Number);
  // The bridge's scripts declare `#!lua flags=allow-oom` (7.0) so a full Redis can be drained.
  if (major < 7) {
    return fail(name, `Redis ${version}: no script flags (the bridge's scripts declare allow-oom, to drain a full Redis)`, 'upgrade the dialler\'s Redis to 7.0 or newer');
  }
  return ok(name, `Redis ${version}`);
}

async function commandsCheck(redis: Redis): Promise<CheckResult> {
  const name = 'redis.commands';
  let replies: unknown[];
  try {
    replies = (await redis.call('COMMAND', 'INFO', ...REDIS_COMMANDS)) as unknown[];
  } catch (err) {
    return warn(name, `COMMAND INFO refused (${firstLine(err)}): cannot tell whether ${REDIS_COMMANDS.length} commands are available`, `make sure ${REDIS_COMMANDS.join(', ').toUpperCase()} are not renamed or disabled`);
  }
  // A renamed or disabled command has no entry: COMMAND INFO answers nil for it.
  const missing = REDIS_COMMANDS.filter((_, i) => replies[i] === null || replies[i] === undefined);
  if (missing.length > 0) {
    return fail(name, `refused: ${missing.map((c) => c.toUpperCase()).join(', ')} (renamed or disabled)`, 'allow these commands for the bridge (rename-command, ACL or the provider\'s command list)');
  }
  // RPOP takes a count since 6.2: its arity turns from 2 (exactly) to -2 (at least).
  const rpopArity = (replies[REDIS_COMMANDS.indexOf('rpop')] as unknown[])[1];
  if (rpopArity === 2) return fail(name, 'RPOP takes no count on this server', 'upgrade the dialler\'s Redis to 7.0 or newer');
  return ok(name, `all ${REDIS_COMMANDS.length} commands the bridge uses are available`);
}

async function persistenceCheck(redis: Redis): Promise<CheckResult> {
  const name = 'redis.persistence';
  try {
    const aof = ((await redis.config('GET', 'appendonly')) as string[])[1];
    const save = ((await redis.config('GET', 'save')) as string[])[1] ?? '';
    if (aof === 'yes') return ok(name, `AOF on${save !== '' ? `, RDB save points "${save}"` : ''}`);
    if (save !== '') return warn(name, `RDB snapshots only ("${save}"), no AOF`, 'turn on appendonly: a restart loses every CDR pushed or taken since the last snapshot');
    return warn(name, 'the source Redis persists nothing (appendonly no, no save points): CDRs in the lists are lost if it restarts', 'turn on appendonly (appendfsync everysec) on the dialler\'s Redis');
  } catch (err) {
    // Managed Redis often renames CONFIG; INFO still says whether AOF is on.
    const info = parseInfo(await redis.info('persistence').catch(() => ''));
    if (info.aof_enabled === '1') return ok(name, 'AOF on (from INFO; CONFIG is refused)');
    return warn(name, `cannot tell (CONFIG refused: ${firstLine(err)}; INFO says aof_enabled:${info.aof_enabled ?? '?'})`, 'make sure the dialler\'s Redis persists its data (AOF)');
  }
}

/**
 * allkeys-* policies evict any key once maxmemory is reached — the source or processing list
 * with every CDR in it — so the bridge refuses them (FAIL) even while maxmemory is 0: that
 * is one CONFIG SET away. volatile-* policies evict only keys with a TTL; the lists have
 * none, but the lease has: a warning (a lease evicted under pressure lets a second leader in
 * early; the transactional id still fences the old one).
 */
async function evictionCheck(redis: Redis): Promise<CheckResult> {
  const name = 'redis.maxmemory-policy';
  let policy: string | undefined;
  let maxmemory: string | undefined;
  try {
    policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    maxmemory = ((await redis.config('GET', 'maxmemory')) as string[])[1];
  } catch {
    const info = parseInfo(await redis.info('memory').catch(() => ''));
    policy = info.maxmemory_policy;
    maxmemory = info.maxmemory;
  }
  if (policy === undefined) return warn(name, 'cannot tell (CONFIG and INFO refused)', 'make sure maxmemory-policy is noeviction: an evicting policy can drop the CDR lists');
  const limit = maxmemory === undefined ? '' : maxmemory === '0' ? ', no maxmemory' : `, maxmemory ${maxmemory} bytes`;
  if (policy.startsWith('allkeys-')) {
    return fail(name, `${policy}${limit}: Redis may evict the source or processing list, CDRs and all`, 'set maxmemory-policy noeviction on the dialler\'s Redis');
  }
  if (policy.startsWith('volatile-')) {
    return warn(name, `${policy}${limit}: keys with a TTL (the bridge's lease) may be evicted under memory pressure`, 'prefer maxmemory-policy noeviction');
  }
  return ok(name, `${policy}${limit}`);
}

/**
 * Used memory against maxmemory, and the backlog that fills it. Above maxmemory (noeviction)
 * Redis refuses the dialler's pushes: every CDR it cannot write meanwhile is lost at the source,
 * so that is a FAIL even though the bridge drains it (`run` starts anyway: see MEMORY_CHECK).
 */
async function memoryCheck(redis: Redis, keys: ListKeyNames): Promise<CheckResult> {
  const name = MEMORY_CHECK;
  let memory;
  try {
    memory = await readRedisMemory(redis);
  } catch (err) {
    return warn(name, `cannot tell (INFO memory refused: ${firstLine(err)})`, 'watch the Redis server\'s memory against maxmemory');
  }
  const [source = 0, landing = 0] = await Promise.all([redis.llen(keys.source), redis.llen(companionKeys(keys.processing).landing)]).catch(() => []);
  const found = `${describeMemory(memory)}; the source list holds ${source + landing} CDRs`;
  if (memory.refusesWrites) {
    return fail(name, `${found}: Redis refuses writes (OOM), the dialler's LPUSH among them`, 'make sure a bridge leads and reaches Kafka (`cdr-bridge status`): each CDR it carries out frees memory; raise maxmemory if it does not drain');
  }
  if (memory.ratio > MEMORY_WARN_RATIO) {
    return warn(name, `${found}: above ${MEMORY_WARN_RATIO * 100} %`, 'at 100 % Redis refuses the dialler\'s pushes: check that the bridge keeps up (`cdr-bridge status`) or raise maxmemory');
  }
  return ok(name, found);
}

async function keyTypesCheck(redis: Redis, keys: ListKeyNames): Promise<CheckResult> {
  const name = 'redis.keys';
  const companions = companionKeys(keys.processing);
  const expected: [string, string][] = [
    [keys.source, 'list'], [keys.processing, 'list'], [keys.deadLetter, 'list'],
    [companions.landing, 'list'], [companions.batches, 'list'], [companions.meta, 'hash'],
  ];
  const types = await Promise.all(expected.map(([k]) => redis.type(k)));
  const wrong = expected.map(([k, want], i) => ({ k, want, type: types[i] })).filter((x) => x.type !== x.want && x.type !== 'none');
  if (wrong.length > 0) {
    return fail(name, wrong.map((x) => `"${x.k}" holds a ${x.type}, not a ${x.want}`).join('; '), 'point the bridge at other keys (CDR_SOURCE_KEY, CDR_PROCESSING_KEY, CDR_DEADLETTER_KEY), or move that value away');
  }
  const lengths = await Promise.all([keys.source, companions.landing, keys.processing, keys.deadLetter].map((k) => redis.llen(k)));
  return ok(name, `of the right types or absent: source ${lengths[0]! + lengths[1]!}, processing ${lengths[2]}, dead letters ${lengths[3]}`);
}
