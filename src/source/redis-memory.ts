// How full the dialler's Redis is, as Redis itself counts it against maxmemory. At maxmemory
// under noeviction Redis refuses every command that may grow memory — the dialler's LPUSH among
// them — so each CDR not yet carried out is one the dialler cannot write. Read by `doctor`,
// `status` and the bridge's metrics: one INFO round trip, never a write.

import type Redis from 'ioredis';
import { parseInfo } from './redis-info';

export interface RedisMemory {
  /** Bytes Redis counts against maxmemory: used_memory less replication and AOF buffers. */
  used: number;
  /** maxmemory in bytes; 0 when there is no limit. */
  max: number;
  policy: string;
  /** used / max; 0 when there is no limit. */
  ratio: number;
  /**
   * Redis refuses writes that may grow memory now: above maxmemory with a policy that cannot
   * make room (noeviction; volatile-* once no key with a TTL is left to evict).
   */
  refusesWrites: boolean;
}

/** Above this share of maxmemory `doctor` warns: the dialler's pushes are refused at 100 %. */
export const MEMORY_WARN_RATIO = 0.8;

export async function readRedisMemory(redis: Redis): Promise<RedisMemory> {
  return memoryOf(parseInfo(await redis.info('memory')));
}

export function memoryOf(info: Record<string, string>): RedisMemory {
  const reported = Number(info.used_memory ?? 0);
  // Redis leaves replica output buffers and the AOF buffer out when it compares with maxmemory.
  const used = Math.max(0, reported - Number(info.mem_not_counted_for_evict ?? 0));
  const max = Number(info.maxmemory ?? 0);
  const policy = info.maxmemory_policy ?? 'unknown';
  const ratio = max > 0 ? used / max : 0;
  return { used, max, policy, ratio, refusesWrites: max > 0 && used > max && !policy.startsWith('allkeys-') };
}

/** "3.9 MiB of maxmemory 3.8 MiB (101 %)", or "3.9 MiB, no maxmemory". */
export function describeMemory(m: RedisMemory): string {
  if (m.max === 0) return `${mebibytes(m.used)} used, no maxmemory`;
  return `${mebibytes(m.used)} of maxmemory ${mebibytes(m.max)} (${Math.floor(m.ratio * 100)} %), ${m.policy}`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
