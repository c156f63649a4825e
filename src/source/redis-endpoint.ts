// Where and how to reach the dialler's Redis, from the settings: the URL directly, or the
// master the Sentinels name (followed across failovers); with an ACL user and TLS. Turned
// into ioredis options here so the connection code stays about connecting and logging.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import type { Logger } from '../log';

export interface RedisEndpointSettings {
  redisUrl: string;
  redisPassword: string | undefined;
  redisUsername: string | undefined;
  redisTlsCaFile: string | undefined;
  redisTlsInsecure: boolean;
  redisTlsCertFile: string | undefined;
  redisTlsKeyFile: string | undefined;
  redisSentinels: readonly string[] | undefined;
  redisSentinelName: string | undefined;
  redisSentinelPassword: string | undefined;
}

let warnedInsecure = false;

/**
 * ioredis options for the endpoint (the URL itself is passed to ioredis as well; it still
 * gives the db, and the credentials when they are written in it — those win).
 */
export function endpointOptions(settings: RedisEndpointSettings, log: Logger): RedisOptions {
  const tls = tlsOptions(settings, log);
  const options: RedisOptions = {
    ...(settings.redisUsername !== undefined ? { username: settings.redisUsername } : {}),
    ...(tls ? { tls } : {}),
  };
  if (settings.redisSentinels === undefined) return options;
  return {
    ...options,
    sentinels: settings.redisSentinels.map(hostPort),
    name: settings.redisSentinelName,
    // Without it the client stays on a demoted master until that one drops it (Sentinel
    // reconfigures a live old master only after ~8 s): writes there are lost at resync.
    // With it, +switch-master from any Sentinel makes the client reconnect to the new master.
    failoverDetector: true,
    ...(settings.redisSentinelPassword !== undefined ? { sentinelPassword: settings.redisSentinelPassword } : {}),
    ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
  };
}

/** The Redis a message may name: host:port, or the Sentinels and master name; never credentials. */
export function redisTarget(settings: Pick<RedisEndpointSettings, 'redisUrl' | 'redisSentinels' | 'redisSentinelName'>): string {
  if (settings.redisSentinels !== undefined) {
    return `master "${settings.redisSentinelName ?? ''}" of Sentinels ${settings.redisSentinels.join(',')}`;
  }
  try {
    return new URL(settings.redisUrl).host;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

function tlsOptions(settings: RedisEndpointSettings, log: Logger): ConnectionOptions | undefined {
  if (!settings.redisUrl.trim().toLowerCase().startsWith('rediss://')) return undefined;
  if (settings.redisTlsInsecure && !warnedInsecure) {
    // Once per process: the bridge opens two connections, and one warning says it all.
    warnedInsecure = true;
    log.warn('REDIS_TLS_INSECURE is set: the Redis server\'s certificate is not verified (anyone on the path can read and change CDRs)');
  }
  return {
    ...(settings.redisTlsCaFile !== undefined ? { ca: [readFileSync(settings.redisTlsCaFile)] } : {}),
    // A client certificate, for a Redis with `tls-auth-clients yes` (config/consistency.ts pairs the two).
    ...(settings.redisTlsCertFile !== undefined && settings.redisTlsKeyFile !== undefined ? { cert: readFileSync(settings.redisTlsCertFile), key: readFileSync(settings.redisTlsKeyFile) } : {}),
    ...(settings.redisTlsInsecure ? { rejectUnauthorized: false } : {}),
  };
}

function hostPort(item: string): { host: string; port: number } {
  const colon = item.lastIndexOf(':');
  return { host: item.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(item.slice(colon + 1)) };
}
