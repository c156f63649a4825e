// Rules that span several settings: a half-configured TLS, SASL, Sentinel or registry login
// stops the start with exit code 2 instead of failing later at a handshake, less clearly.
// Messages name settings, never their values: several of them are secrets.

import { ConfigError } from '../errors';
import type { Config } from './config';

/** The settings these rules read, typed from Config itself so the two cannot drift apart. */
export type ConnectionSettings = Pick<
  Config,
  | 'redisUrl' | 'redisPassword' | 'redisUsername' | 'redisTlsCaFile' | 'redisTlsInsecure' | 'redisTlsCertFile' | 'redisTlsKeyFile'
  | 'redisSentinels' | 'redisSentinelName' | 'redisSentinelPassword'
  | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword' | 'kafkaSsl' | 'kafkaSslCaFile' | 'kafkaSslCertFile' | 'kafkaSslKeyFile'
  | 'schemaRegistryUrl' | 'schemaRegistryUser' | 'schemaRegistryPassword' | 'schemaRegistryCaFile'
>;

export function checkConsistency(c: ConnectionSettings): void {
  const rediss = c.redisUrl.trim().toLowerCase().startsWith('rediss://');
  if (!rediss && c.redisTlsCaFile !== undefined) {
    throw new ConfigError('REDIS_TLS_CA_FILE', 'applies to TLS connections only: REDIS_URL must start with rediss://');
  }
  if (!rediss && c.redisTlsInsecure) {
    throw new ConfigError('REDIS_TLS_INSECURE', 'applies to TLS connections only: REDIS_URL must start with rediss://');
  }
  if (!rediss && (c.redisTlsCertFile !== undefined || c.redisTlsKeyFile !== undefined)) {
    throw new ConfigError(c.redisTlsCertFile !== undefined ? 'REDIS_TLS_CERT_FILE' : 'REDIS_TLS_KEY_FILE', 'applies to TLS connections only: REDIS_URL must start with rediss://');
  }
  pair(c.redisTlsCertFile, 'REDIS_TLS_CERT_FILE', c.redisTlsKeyFile, 'REDIS_TLS_KEY_FILE');
  if (c.redisUsername !== undefined && c.redisPassword === undefined && !urlHasPassword(c.redisUrl)) {
    throw new ConfigError('REDIS_USERNAME', 'an ACL user needs a password too (REDIS_PASSWORD, or in REDIS_URL)');
  }
  if (c.redisSentinels !== undefined && c.redisSentinelName === undefined) {
    throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the name in `sentinel monitor <name> ...`)');
  }
  if (c.redisSentinelPassword !== undefined && c.redisSentinels === undefined) {
    throw new ConfigError('REDIS_SENTINELS', 'is required with REDIS_SENTINEL_PASSWORD');
  }
  if (c.redisSentinelName !== undefined && c.redisSentinels === undefined) {
    throw new ConfigError('REDIS_SENTINELS', 'is required with REDIS_SENTINEL_NAME (the Sentinels to ask for the master)');
  }
  if (c.kafkaSaslMechanism !== undefined) {
    if (c.kafkaSaslUsername === undefined) throw new ConfigError('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${c.kafkaSaslMechanism}`);
    if (c.kafkaSaslPassword === undefined) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required with KAFKA_SASL_MECHANISM=${c.kafkaSaslMechanism}`);
  } else if (c.kafkaSaslUsername !== undefined || c.kafkaSaslPassword !== undefined) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', 'is required with KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD (plain, scram-sha-256 or scram-sha-512)');
  }
  if (c.kafkaSslCaFile !== undefined && !c.kafkaSsl) {
    throw new ConfigError('KAFKA_SSL_CA_FILE', 'applies to TLS connections only: set KAFKA_SSL=true');
  }
  if ((c.kafkaSslCertFile !== undefined || c.kafkaSslKeyFile !== undefined) && !c.kafkaSsl) {
    throw new ConfigError(c.kafkaSslCertFile !== undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE', 'applies to TLS connections only: set KAFKA_SSL=true');
  }
  pair(c.kafkaSslCertFile, 'KAFKA_SSL_CERT_FILE', c.kafkaSslKeyFile, 'KAFKA_SSL_KEY_FILE');
  if (c.schemaRegistryCaFile !== undefined && !(c.schemaRegistryUrl ?? '').trim().toLowerCase().startsWith('https://')) {
    throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', 'applies to TLS connections only: SCHEMA_REGISTRY_URL must start with https://');
  }
  if ((c.schemaRegistryUser !== undefined || c.schemaRegistryPassword !== undefined) && c.schemaRegistryUrl === undefined) {
    throw new ConfigError('SCHEMA_REGISTRY_URL', 'is required with SCHEMA_REGISTRY_USER/SCHEMA_REGISTRY_PASSWORD');
  }
  if (c.schemaRegistryPassword !== undefined && c.schemaRegistryUser === undefined) {
    throw new ConfigError('SCHEMA_REGISTRY_USER', 'is required with SCHEMA_REGISTRY_PASSWORD (basic auth sends both)');
  }
}

/** A client certificate is useless without its key, and the other way round. */
function pair(cert: string | undefined, certName: string, key: string | undefined, keyName: string): void {
  if (cert !== undefined && key === undefined) throw new ConfigError(keyName, `is required with ${certName} (the client certificate's private key)`);
  if (key !== undefined && cert === undefined) throw new ConfigError(certName, `is required with ${keyName} (the client certificate itself)`);
}

/**
 * Failpoints freeze or kill the leader on purpose: `run` arms one only when a second, test-only
 * variable says this is a test, so a stray CDR_BRIDGE_FAILPOINT in production stops the start.
 */
export function checkFailpoint(c: Pick<Config, 'failpoint' | 'failpointsAllowed'>): void {
  if (c.failpoint !== undefined && !c.failpointsAllowed) {
    throw new ConfigError('CDR_BRIDGE_FAILPOINT', `is a test-only setting (it ${c.failpoint.startsWith('crash-') ? 'kills' : 'freezes'} the leader on purpose): refused unless CDR_BRIDGE_TEST_FAILPOINTS=true is set too; in production unset it`);
  }
}

function urlHasPassword(raw: string): boolean {
  try {
    return new URL(raw).password !== '';
  } catch {
    return false;
  }
}
