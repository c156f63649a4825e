// CPU time the bridge, Redis and the broker spend during a phase. On a shared, noisy machine
// wall-clock throughput swings with everyone else's load, but the CPU each process burns per CDR
// barely does: it is the figure to compare two builds with, and it shows where the cores went.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import type { BenchStack } from './bench-stack';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

export interface CpuSeconds {
  bridge: number;
  redis: number;
  kafka: number;
}

/** utime + stime of a process, in seconds; 0 when it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command (which may hold spaces) start at "state"; utime and stime are 14th and 15th overall.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Redis's own CPU (main process, not its fork children), from INFO cpu. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** The broker's PID as scripts/stack recorded it (`<pid> <start time>` in <STACK_DIR>/kafka.pid). */
export function kafkaPid(stack: BenchStack): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(stack.dir, 'kafka.pid'), 'utf8').split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts counting now; `read()` gives the CPU seconds each spent since. */
export async function cpuMeter(stack: BenchStack, redis: Redis, bridgePid: number): Promise<{ read(): Promise<CpuSeconds> }> {
  const broker = kafkaPid(stack);
  const at = async (): Promise<CpuSeconds> => ({ bridge: processCpuSeconds(bridgePid), redis: await redisCpuSeconds(redis), kafka: processCpuSeconds(broker) });
  const start = await at();
  return {
    async read() {
      const now = await at();
      return { bridge: now.bridge - start.bridge, redis: now.redis - start.redis, kafka: now.kafka - start.kafka };
    },
  };
}
