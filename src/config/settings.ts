// The table of every setting: its environment variable, CLI flag, default and validator.
// config.ts turns this table plus env/.env/flags into one frozen Config; the CLI registers
// the flags from it, and docs/configuration.md's table is written from it (scripts/config-docs).

import { accessSync, constants as fsConstants, statSync } from 'node:fs';

export type Parser<T> = (raw: string) => T;

export interface Setting<T = unknown> {
  readonly env: string;
  readonly flag: string;
  readonly describe: string;
  /** Default as text; undefined means "derived" (see config.ts) or "unset". */
  readonly fallback?: string;
  readonly parse: Parser<T>;
  /**
   * A secret: redacted when shown, may come from <NAME>_FILE, and never taken as a flag (the
   * command line is visible to every user in `ps`). 'in-url': a URL that may carry a password;
   * its flag is taken only without one.
   */
  readonly secret?: true | 'in-url';
}

/** Thrown by parsers; config.ts wraps it in a ConfigError naming the setting. */
export class InvalidValue extends Error {}

export const integer = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^-?[0-9]+$/.test(raw.trim())) throw new InvalidValue(`must be an integer, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new InvalidValue(`must be between ${min} and ${max}, got ${n}`);
  return n;
};

export const text: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new InvalidValue('must not be empty');
  return raw.trim();
};

export const optionalText: Parser<string | undefined> = (raw) => (raw.trim() === '' ? undefined : raw.trim());

/** An empty value means "unset" (as in a .env line `NAME=`); anything else must pass `parse`. */
export const optional = <T>(parse: Parser<T>): Parser<T | undefined> => (raw) => (raw.trim() === '' ? undefined : parse(raw));

/** A path the process can read now: a CA file that is missing should stop the start, not the first TLS handshake. */
export const readableFile: Parser<string> = (raw) => {
  const file = raw.trim();
  try {
    accessSync(file, fsConstants.R_OK);
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch {
    throw new InvalidValue(`cannot read the file "${file}"`);
  }
  return file;
};

export const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw) => {
  const v = raw.trim().toLowerCase() as T;
  if (!values.includes(v)) throw new InvalidValue(`must be one of ${values.join(', ')}, got "${raw}"`);
  return v;
};

export const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new InvalidValue(`must be true or false, got "${raw}"`);
};

export const url = (...protocols: string[]): Parser<string> => (raw) => {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new InvalidValue(`is not a URL: "${redactUrl(raw)}"`);
  }
  if (!protocols.includes(u.protocol)) {
    throw new InvalidValue(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got "${u.protocol}//"`);
  }
  return raw.trim();
};

export const hostPortList: Parser<string[]> = (raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidValue('must list at least one host:port');
  for (const item of items) {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/.exec(item);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new InvalidValue(`"${item}" is not host:port`);
    }
  }
  return items;
};

/** Replaces the password (and any user) of a URL with "***" so it can be logged. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export const SETTINGS = {
  redisUrl: { env: 'REDIS_URL', flag: 'redis-url', fallback: 'redis://127.0.0.1:6379', parse: url('redis:', 'rediss:'), describe: 'Redis the dialler writes to (redis:// or rediss:// for TLS; password in the URL or REDIS_PASSWORD)', secret: 'in-url' },
  redisPassword: { env: 'REDIS_PASSWORD', flag: 'redis-password', parse: optionalText, describe: 'Redis password, if not in REDIS_URL', secret: true },
  redisUsername: { env: 'REDIS_USERNAME', flag: 'redis-username', parse: optionalText, describe: 'Redis ACL user (Redis 6+), if not in REDIS_URL; needs a password too' },
  redisTlsCaFile: { env: 'REDIS_TLS_CA_FILE', flag: 'redis-tls-ca-file', parse: optional(readableFile), describe: 'with rediss://: PEM file of the CA(s) that signed the Redis server\'s certificate (default: the host\'s CA store and Node\'s bundled CAs)' },
  redisTlsCertFile: { env: 'REDIS_TLS_CERT_FILE', flag: 'redis-tls-cert-file', parse: optional(readableFile), describe: 'with rediss://: PEM file of the client certificate the bridge shows Redis (for `tls-auth-clients yes`); needs REDIS_TLS_KEY_FILE' },
  redisTlsKeyFile: { env: 'REDIS_TLS_KEY_FILE', flag: 'redis-tls-key-file', parse: optional(readableFile), describe: 'with rediss://: PEM file of that client certificate\'s private key (unencrypted)' },
  redisTlsInsecure: { env: 'REDIS_TLS_INSECURE', flag: 'redis-tls-insecure', fallback: 'false', parse: bool, describe: 'with rediss://: do not verify the Redis server\'s certificate (for testing only; logged as a warning)' },
  redisSentinels: { env: 'REDIS_SENTINELS', flag: 'redis-sentinels', parse: optional(hostPortList), describe: 'comma-separated host:port of Redis Sentinels; when set, the master is found (and followed after a failover) through them, and REDIS_URL only gives the scheme, credentials and db' },
  redisSentinelName: { env: 'REDIS_SENTINEL_NAME', flag: 'redis-sentinel-name', parse: optionalText, describe: 'the master\'s name as the Sentinels know it (`sentinel monitor <name> ...`); required with REDIS_SENTINELS' },
  redisWaitReplicas: { env: 'REDIS_WAIT_REPLICAS', flag: 'redis-wait-replicas', parse: integer(0, 16), describe: 'before publishing a batch, wait until this many replicas hold its take (WAIT), so a Redis failover cannot hand the same CDRs out twice (default 1 with REDIS_SENTINELS, else 0)' },
  redisWaitTimeoutMs: { env: 'REDIS_WAIT_TIMEOUT_MS', flag: 'redis-wait-timeout-ms', fallback: '2000', parse: integer(10, 600000), describe: 'how long one WAIT for replicas lasts before it is tried again' },
  redisSentinelPassword: { env: 'REDIS_SENTINEL_PASSWORD', flag: 'redis-sentinel-password', parse: optionalText, describe: 'password of the Sentinels themselves (their requirepass), if they have one; REDIS_PASSWORD is the master\'s', secret: true },
  sourceKey: { env: 'CDR_SOURCE_KEY', flag: 'source-key', fallback: 'enigma:notifications:campaigns', parse: text, describe: 'the list the dialler LPUSHes CDRs to' },
  processingKey: { env: 'CDR_PROCESSING_KEY', flag: 'processing-key', parse: text, describe: 'list holding CDRs in flight (default <source>:processing)' },
  deadLetterKey: { env: 'CDR_DEADLETTER_KEY', flag: 'deadletter-key', parse: text, describe: 'list of CDRs that could not be decoded, with reasons (default <source>:deadletter)' },
  leaseKey: { env: 'CDR_LEASE_KEY', flag: 'lease-key', parse: text, describe: 'key of the leader lease (default <source>:lease)' },
  leaseTtlMs: { env: 'LEASE_TTL_MS', flag: 'lease-ttl-ms', fallback: '10000', parse: integer(1000, 600000), describe: 'how long the leader lease lives without renewal; a standby takes over within this' },
  progressTimeoutMs: { env: 'PROGRESS_TIMEOUT_MS', flag: 'progress-timeout-ms', parse: integer(1000, 3_600_000), describe: 'a leader with CDRs waiting that commits and acks nothing for this long stands down (stops renewing its lease) so a standby can try, and stays out of the race this long; at least LEASE_TTL_MS (default 3 × LEASE_TTL_MS)' },
  kafkaBrokers: { env: 'KAFKA_BROKERS', flag: 'kafka-brokers', fallback: '127.0.0.1:9092', parse: hostPortList, describe: 'comma-separated bootstrap brokers' },
  kafkaSaslMechanism: { env: 'KAFKA_SASL_MECHANISM', flag: 'kafka-sasl-mechanism', parse: optional(oneOf('plain', 'scram-sha-256', 'scram-sha-512')), describe: 'authenticate to the brokers with SASL: plain, scram-sha-256 or scram-sha-512 (unset: no SASL); needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD' },
  kafkaSaslUsername: { env: 'KAFKA_SASL_USERNAME', flag: 'kafka-sasl-username', parse: optionalText, describe: 'SASL user name for the brokers' },
  kafkaSaslPassword: { env: 'KAFKA_SASL_PASSWORD', flag: 'kafka-sasl-password', parse: optionalText, describe: 'SASL password for the brokers', secret: true },
  kafkaSsl: { env: 'KAFKA_SSL', flag: 'kafka-ssl', fallback: 'false', parse: bool, describe: 'connect to the brokers over TLS (with SASL: SASL_SSL)' },
  kafkaSslCaFile: { env: 'KAFKA_SSL_CA_FILE', flag: 'kafka-ssl-ca-file', parse: optional(readableFile), describe: 'with KAFKA_SSL: PEM file of the CA(s) that signed the brokers\' certificates (default: the host\'s CA store and Node\'s bundled CAs)' },
  kafkaSslCertFile: { env: 'KAFKA_SSL_CERT_FILE', flag: 'kafka-ssl-cert-file', parse: optional(readableFile), describe: 'with KAFKA_SSL: PEM file of the client certificate the bridge shows the brokers (for `ssl.client.auth=required`); needs KAFKA_SSL_KEY_FILE' },
  kafkaSslKeyFile: { env: 'KAFKA_SSL_KEY_FILE', flag: 'kafka-ssl-key-file', parse: optional(readableFile), describe: 'with KAFKA_SSL: PEM file of that client certificate\'s private key (unencrypted)' },
  kafkaTopic: { env: 'KAFKA_TOPIC', flag: 'kafka-topic', fallback: 'enigma.cdrs', parse: text, describe: 'topic the CDRs are published to' },
  kafkaClientId: { env: 'KAFKA_CLIENT_ID', flag: 'kafka-client-id', fallback: 'cdr-bridge', parse: text, describe: 'Kafka client id' },
  kafkaKeyField: { env: 'KAFKA_KEY_FIELD', flag: 'kafka-key-field', fallback: 'internal_call_ref', parse: oneOf('internal_call_ref', 'custom_call_ref', 'campaign_ref', 'client_number', 'dial_number', 'cdr_id'), describe: 'CDR field used as the message key (per-key order is kept)' },
  kafkaCompression: { env: 'KAFKA_COMPRESSION', flag: 'kafka-compression', fallback: 'none', parse: oneOf('none', 'gzip', 'snappy', 'lz4'), describe: 'compression of produced batches: none, gzip, snappy or lz4 (every consumer of the topic must support the codec; Kafka\'s Java client and `cdr-bridge tail` read all four)' },
  kafkaCreateTopic: { env: 'KAFKA_CREATE_TOPIC', flag: 'kafka-create-topic', fallback: 'true', parse: bool, describe: 'create the topic at start when it does not exist' },
  kafkaTopicPartitions: { env: 'KAFKA_TOPIC_PARTITIONS', flag: 'kafka-topic-partitions', fallback: '3', parse: integer(1, 10000), describe: 'partitions of the topic when the bridge creates it' },
  kafkaMaxRequestBytes: { env: 'KAFKA_MAX_REQUEST_BYTES', flag: 'kafka-max-request-bytes', fallback: '900000', parse: integer(1024, 100 * 1024 * 1024), describe: 'a batch is sent in several requests when its messages exceed this many bytes (keep under the broker\'s message.max.bytes)' },
  kafkaTopicReplicationFactor: { env: 'KAFKA_TOPIC_REPLICATION_FACTOR', flag: 'kafka-topic-replication-factor', parse: optional(integer(1, 32)), describe: 'replicas of the topics the bridge creates (default: min(3, brokers)); with 3, min.insync.replicas is set to 2' },
  kafkaTransactionalId: { env: 'KAFKA_TRANSACTIONAL_ID', flag: 'kafka-transactional-id', parse: text, describe: 'transactional id of the producer (default: cdr-bridge:<CDR_SOURCE_KEY>); a new leader\'s producer fences any earlier one with the same id' },
  kafkaProgressTopic: { env: 'KAFKA_PROGRESS_TOPIC', flag: 'kafka-progress-topic', fallback: 'cdr-bridge-progress', parse: text, describe: 'compacted topic where each transaction also commits the last batch it holds (how a new leader knows exactly what Kafka has)' },
  transactionMaxRecords: { env: 'KAFKA_TRANSACTION_MAX_RECORDS', flag: 'kafka-transaction-max-records', fallback: '5000', parse: integer(1, 1_000_000), describe: 'a transaction takes in further batches of a backlog until it holds this many CDRs' },
  transactionMaxMs: { env: 'KAFKA_TRANSACTION_MAX_MS', flag: 'kafka-transaction-max-ms', fallback: '100', parse: integer(0, 60000), describe: 'nor for longer than this; at low load every batch commits at once' },
  failpoint: { env: 'CDR_BRIDGE_FAILPOINT', flag: 'failpoint', parse: optional(oneOf('stop-before-send', 'stop-before-commit', 'crash-after-commit')), describe: 'TEST ONLY, never in production: the leader stops itself (SIGSTOP; crash-*: SIGKILL) the first time it reaches that point (after its lease check), so a test can freeze or kill it there for certain; `run` refuses it unless CDR_BRIDGE_TEST_FAILPOINTS is true too' },
  failpointsAllowed: { env: 'CDR_BRIDGE_TEST_FAILPOINTS', flag: 'test-failpoints', fallback: 'false', parse: bool, describe: 'TEST ONLY: lets `run` arm CDR_BRIDGE_FAILPOINT (and says so at warn); a stray failpoint alone is refused' },
  encodeThread: { env: 'ENCODE_THREAD', flag: 'encode-thread', fallback: 'false', parse: bool, describe: 'decode and encode each batch on a worker thread, leaving the main thread to Redis and Kafka; may pay where cores are free, cost 6% on a 2-core host shared with Redis and Kafka (docs/performance.md)' },
  batchSize: { env: 'BATCH_SIZE', flag: 'batch-size', fallback: '500', parse: integer(1, 5000), describe: 'most CDRs taken and published in one batch' },
  takeBlockMs: { env: 'TAKE_BLOCK_MS', flag: 'take-block-ms', fallback: '1000', parse: integer(10, 60000), describe: 'how long one BLMOVE waits for a CDR before looping (bounds shutdown latency)' },
  maxPayloadBytes: { env: 'MAX_PAYLOAD_BYTES', flag: 'max-payload-bytes', fallback: '262144', parse: integer(64, 64 * 1024 * 1024), describe: 'larger payloads are dead-lettered (a CDR is a few hundred bytes)' },
  shutdownTimeoutMs: { env: 'SHUTDOWN_TIMEOUT_MS', flag: 'shutdown-timeout-ms', fallback: '10000', parse: integer(100, 600000), describe: 'on SIGTERM, SIGINT or SIGHUP, how long to finish the batch in flight before giving up' },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', fallback: 'info', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), describe: 'pino log level' },
  httpPort: { env: 'HTTP_PORT', flag: 'http-port', fallback: '9464', parse: integer(0, 65535), describe: 'port of /metrics, /healthz, /readyz (0 picks a free port)' },
  httpHost: { env: 'HTTP_HOST', flag: 'http-host', fallback: '127.0.0.1', parse: text, describe: 'bind address of the HTTP endpoints' },
  schemaRegistryUrl: { env: 'SCHEMA_REGISTRY_URL', flag: 'schema-registry-url', parse: optional(url('http:', 'https:')), describe: 'Confluent-compatible schema registry (its API root, e.g. Apicurio\'s http://host:8080/apis/ccompat/v7); when set, messages use the Confluent wire format with the id of the schema registered as <topic>-value', secret: 'in-url' },
  schemaRegistryCaFile: { env: 'SCHEMA_REGISTRY_CA_FILE', flag: 'schema-registry-ca-file', parse: optional(readableFile), describe: 'with an https:// SCHEMA_REGISTRY_URL: PEM file of the CA(s) that signed the registry\'s certificate (default: the host\'s CA store and Node\'s bundled CAs)' },
  schemaRegistryUser: { env: 'SCHEMA_REGISTRY_USER', flag: 'schema-registry-user', parse: optionalText, describe: 'basic-auth user for the schema registry (e.g. an API key)', secret: true },
  schemaRegistryPassword: { env: 'SCHEMA_REGISTRY_PASSWORD', flag: 'schema-registry-password', parse: optionalText, describe: 'basic-auth password for the schema registry', secret: true },
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
