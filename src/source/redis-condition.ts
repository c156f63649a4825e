// The conditions a Redis answers with on a bad day, named from its error replies (and from a
// connection that cannot be made), each with what it means and what the operator should do, in
// one line. The bridge's log, metrics, /readyz and `status` all speak in these names.

import type Redis from 'ioredis';

export type RedisCondition = 'OOM' | 'MISCONF' | 'READONLY' | 'LOADING' | 'NOSCRIPT' | 'BUSY' | 'NOAUTH' | 'WRONGPASS' | 'unreachable';

export interface ConditionText {
  /** What Redis is doing, in one line. */
  what: string;
  /** What the operator should do, in one line. */
  action: string;
}

const CONDITIONS: Readonly<Record<RedisCondition, ConditionText>> = {
  OOM: {
    what: 'Redis is full (used memory above maxmemory) and refuses writes that add data',
    action: 'raise maxmemory or free memory in Redis; every CDR the bridge carries out frees some',
  },
  MISCONF: {
    what: 'Redis refuses every write because its last save to disk failed (stop-writes-on-bgsave-error yes)',
    action: 'fix what the Redis log says about the failed save (disk full, dir gone or not writable), then BGSAVE',
  },
  READONLY: {
    what: 'this Redis is a read-only replica: REDIS_URL names a replica, or a failover demoted this master',
    action: 'point REDIS_URL at the master (or use REDIS_SENTINELS), or run REPLICAOF NO ONE if this one should be the master',
  },
  LOADING: {
    what: 'Redis is loading its dataset into memory after a restart and answers nothing else',
    action: 'wait: the bridge checks about once a second and goes on when loading ends (INFO persistence: loading_eta_seconds)',
  },
  NOSCRIPT: {
    what: 'Redis no longer holds the bridge\'s Lua scripts (SCRIPT FLUSH, or a restart)',
    action: 'nothing: the bridge sends the scripts again',
  },
  BUSY: {
    what: 'Redis is running another client\'s long Lua script or function and answers nothing else',
    action: 'find the script (SLOWLOG GET, CLIENT LIST) and stop it with SCRIPT KILL or FUNCTION KILL; the bridge waits',
  },
  NOAUTH: {
    what: 'Redis requires a password and the bridge sent none',
    action: 'give the bridge the current credentials (REDIS_PASSWORD, REDIS_USERNAME) and restart it, or restore the old ones in Redis',
  },
  WRONGPASS: {
    what: 'Redis refused the bridge\'s credentials (the password was rotated, or the ACL user disabled)',
    action: 'give the bridge the current credentials (REDIS_PASSWORD, REDIS_USERNAME) and restart it, or restore the old ones in Redis',
  },
  unreachable: {
    what: 'the bridge cannot connect to Redis',
    action: 'check that Redis runs at REDIS_URL (or behind REDIS_SENTINELS) and the network to it; the bridge reconnects by itself',
  },
};

export const REDIS_CONDITIONS = Object.keys(CONDITIONS) as readonly RedisCondition[];

export function conditionText(condition: RedisCondition): ConditionText {
  return CONDITIONS[condition];
}

/** Error codes of a socket that could not connect or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * The condition an error names: a Redis error reply starts with its code (also when a Lua script
 * met it: "READONLY You can't write… script: …"); a connection failure is `unreachable`.
 * Undefined for anything else, the bridge's own script errors (NOTLEADER, BATCHES) included.
 */
export function conditionOf(err: unknown): RedisCondition | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = /^([A-Z]+)\b/.exec(err.message)?.[1];
  if (code !== undefined && code !== 'ERR' && code in CONDITIONS) return code as RedisCondition;
  const errno = (err as NodeJS.ErrnoException).code;
  if (errno !== undefined && SOCKET_CODES.has(errno)) return 'unreachable';
  if (/^(Connection is closed|connect ETIMEDOUT|Reached the max retries per request)/.test(err.message)) return 'unreachable';
  return undefined;
}

/**
 * Whether an error came from Redis or the way to it (a reply, a condition, the connection),
 * as opposed to Kafka or the bridge itself: ioredis's reply errors all carry the reply's code
 * as the first word of an error named ReplyError.
 */
export function isRedisFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'ReplyError' || err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError' || conditionOf(err) !== undefined;
}

/** A Redis error message without the script location Redis appends ("script: <sha>, on @user_script:1."). */
export function replyText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? message).replace(/ script: [0-9a-f]{40}, on @user_script:\d+\.$/, '');
}

/**
 * What INFO (and the two settings it does not show) say about writes this Redis would refuse
 * now, for `status`, which only reads: READONLY for a replica, MISCONF for a failed save that
 * stops writes, OOM for used memory above maxmemory. Undefined when none applies.
 */
export function conditionFromInfo(info: string, config: { stopWritesOnBgsaveError?: boolean; savePoints?: boolean } = {}): { condition: RedisCondition; found: string } | undefined {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  if (field('loading') === '1') return { condition: 'LOADING', found: `loading the dataset, about ${field('loading_eta_seconds') ?? '?'} s left` };
  if (field('role') === 'slave') return { condition: 'READONLY', found: `a replica of ${field('master_host') ?? '?'}:${field('master_port') ?? '?'} (link ${field('master_link_status') ?? '?'})` };
  if (field('aof_last_write_status') === 'err') return { condition: 'MISCONF', found: 'the last write to the AOF failed' };
  // Redis refuses writes for a failed RDB save only with save points and stop-writes-on-bgsave-error.
  if (field('rdb_last_bgsave_status') === 'err' && config.stopWritesOnBgsaveError !== false && config.savePoints !== false) {
    return { condition: 'MISCONF', found: 'the last RDB save (BGSAVE) failed' };
  }
  const used = Number(field('used_memory'));
  const max = Number(field('maxmemory'));
  if (max > 0 && used > max) return { condition: 'OOM', found: `used memory ${used} bytes above maxmemory ${max} (${field('maxmemory_policy') ?? '?'})` };
  return undefined;
}

/**
 * The condition this Redis would answer a write with now, read without writing (for `status`):
 * INFO, and the two settings that decide whether a failed save stops writes (CONFIG may be
 * refused, e.g. renamed on a managed Redis: then Redis's defaults are assumed).
 */
export async function conditionNow(redis: Redis): Promise<{ condition: RedisCondition; found: string } | undefined> {
  const [info, stopWrites, save] = await Promise.all([
    redis.info(),
    redis.config('GET', 'stop-writes-on-bgsave-error').catch(() => undefined),
    redis.config('GET', 'save').catch(() => undefined),
  ]);
  const value = (reply: unknown): string | undefined => (Array.isArray(reply) ? String(reply[1] ?? '') : undefined);
  const stopWritesOnBgsaveError = value(stopWrites) === undefined ? undefined : value(stopWrites) === 'yes';
  const savePoints = value(save) === undefined ? undefined : value(save)!.trim() !== '';
  return conditionFromInfo(info, { ...(stopWritesOnBgsaveError !== undefined && { stopWritesOnBgsaveError }), ...(savePoints !== undefined && { savePoints }) });
}
