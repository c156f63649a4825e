// The security, Sentinel and registry settings: parsed and defaulted, secrets readable from
// <NAME>_FILE and redacted in describeConfig(), and every half-configured combination refused
// with one ConfigError that names a setting and never shows a secret.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { describeConfig, loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { connectionSecurity } from '../../src/sink/kafka-security';

const dir = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-security-'));
const caFile = path.join(dir, 'ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
after(() => rmSync(dir, { recursive: true, force: true }));

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('security settings', () => {
  it('are off by default: no ACL user, no TLS options, no Sentinels, no SASL, no registry', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.redisUsername, undefined);
    assert.equal(c.redisTlsCaFile, undefined);
    assert.equal(c.redisTlsInsecure, false);
    assert.equal(c.redisSentinels, undefined);
    assert.equal(c.redisSentinelName, undefined);
    assert.equal(c.kafkaSaslMechanism, undefined);
    assert.equal(c.kafkaSsl, false);
    assert.equal(c.schemaRegistryUrl, undefined);
    assert.deepEqual(connectionSecurity(c), {});
  });

  it('parses a full set, and turns the Kafka part into the Kafka client\'s tls and sasl options', () => {
    const c = loadConfig({
      env: {
        REDIS_URL: 'rediss://redis.example:6380/2',
        REDIS_USERNAME: 'bridge',
        REDIS_PASSWORD: 'redis-secret-1',
        REDIS_TLS_CA_FILE: caFile,
        REDIS_SENTINELS: 's1:26379, [::1]:26380',
        REDIS_SENTINEL_NAME: 'cdrs',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret-9',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'bridge',
        KAFKA_SASL_PASSWORD: 'kafka-secret-2',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: caFile,
        SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7',
        SCHEMA_REGISTRY_USER: 'key',
        SCHEMA_REGISTRY_PASSWORD: 'registry-secret-3',
      },
    });
    assert.equal(c.redisUsername, 'bridge');
    assert.equal(c.redisTlsCaFile, caFile);
    assert.deepEqual(c.redisSentinels, ['s1:26379', '[::1]:26380']);
    assert.equal(c.redisSentinelName, 'cdrs');
    assert.equal(c.redisSentinelPassword, 'sentinel-secret-9');
    assert.equal(JSON.stringify(describeConfig(c)).includes('sentinel-secret-9'), false);
    assert.equal(c.kafkaSaslMechanism, 'scram-sha-512');
    assert.equal(c.kafkaSsl, true);
    const k = connectionSecurity(c);
    assert.deepEqual(k.sasl, { mechanism: 'SCRAM-SHA-512', username: 'bridge', password: 'kafka-secret-2' });
    assert.ok(Array.isArray(k.tls?.ca) && String(k.tls.ca[0]).includes('not checked here'));
    assert.equal(connectionSecurity({ ...c, kafkaBrokers: ['kafka-1.example:9093'] }).tlsServerName, true, 'SNI with the broker\'s host name');
    assert.equal(connectionSecurity({ ...c, kafkaBrokers: ['10.0.0.7:9093'] }).tlsServerName, false, 'no SNI for an IP address');
    const mutual = connectionSecurity({ ...c, kafkaSslCertFile: caFile, kafkaSslKeyFile: caFile });
    assert.ok(String(mutual.tls?.cert).includes('not checked here') && String(mutual.tls?.key).includes('not checked here'), 'the client certificate and key, for mutual TLS');
  });

  it('reads the secrets from <NAME>_FILE, and describeConfig() shows none of them', () => {
    const pw = path.join(dir, 'kafka-password');
    writeFileSync(pw, 'kafka-secret-from-file\n');
    const reg = path.join(dir, 'registry-password');
    writeFileSync(reg, 'registry-secret-from-file\n');
    const c = loadConfig({
      env: {
        REDIS_PASSWORD: 'redis-secret-4',
        REDIS_USERNAME: 'bridge',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'bridge',
        KAFKA_SASL_PASSWORD_FILE: pw,
        SCHEMA_REGISTRY_URL: 'http://key:url-secret-5@registry.example:8080/apis/ccompat/v7',
        SCHEMA_REGISTRY_USER: 'key',
        SCHEMA_REGISTRY_PASSWORD_FILE: reg,
      },
    });
    assert.equal(c.kafkaSaslPassword, 'kafka-secret-from-file');
    assert.equal(c.schemaRegistryPassword, 'registry-secret-from-file');
    const shown = JSON.stringify(describeConfig(c));
    for (const secret of ['redis-secret-4', 'kafka-secret-from-file', 'registry-secret-from-file', 'url-secret-5']) {
      assert.equal(shown.includes(secret), false, `${secret} shown in ${shown}`);
    }
    const d = describeConfig(c);
    assert.equal(d.kafkaSaslPassword, '***');
    assert.equal(d.kafkaSaslUsername, 'bridge', 'user names are not secrets');
    assert.equal(d.schemaRegistryUrl, 'http://key:***@registry.example:8080/apis/ccompat/v7');
  });

  it('refuses each bad value or half-configured combination, naming the setting and not the secret', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM', /one of plain, scram-sha-256, scram-sha-512/],
      [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'kafka-secret-6' }, 'KAFKA_SASL_USERNAME', /required with KAFKA_SASL_MECHANISM=plain/],
      [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD', /required/],
      [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'kafka-secret-6' }, 'KAFKA_SASL_MECHANISM', /required/],
      [{ KAFKA_SSL: 'maybe' }, 'KAFKA_SSL', /true or false/],
      [{ KAFKA_SSL_CA_FILE: caFile }, 'KAFKA_SSL_CA_FILE', /set KAFKA_SSL=true/],
      [{ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: path.join(dir, 'missing.pem') }, 'KAFKA_SSL_CA_FILE', /cannot read the file/],
      [{ REDIS_TLS_CA_FILE: caFile }, 'REDIS_TLS_CA_FILE', /rediss:\/\//],
      [{ REDIS_TLS_INSECURE: 'true' }, 'REDIS_TLS_INSECURE', /rediss:\/\//],
      [{ REDIS_URL: 'rediss://h:1', REDIS_TLS_CA_FILE: dir }, 'REDIS_TLS_CA_FILE', /cannot read the file/],
      [{ REDIS_USERNAME: 'bridge' }, 'REDIS_USERNAME', /needs a password/],
      [{ REDIS_SENTINELS: 'a:26379' }, 'REDIS_SENTINEL_NAME', /required with REDIS_SENTINELS/],
      [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS', /required with REDIS_SENTINEL_NAME/],
      [{ REDIS_SENTINEL_PASSWORD: 'sentinel-secret-8' }, 'REDIS_SENTINELS', /required with REDIS_SENTINEL_PASSWORD/],
      [{ REDIS_SENTINELS: 'a:26379,nohost', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS', /"nohost" is not host:port/],
      [{ SCHEMA_REGISTRY_URL: 'ftp://r:1' }, 'SCHEMA_REGISTRY_URL', /http:\/\/ or https:\/\//],
      [{ SCHEMA_REGISTRY_PASSWORD: 'registry-secret-7' }, 'SCHEMA_REGISTRY_URL', /required with/],
      [{ SCHEMA_REGISTRY_URL: 'http://r:1', SCHEMA_REGISTRY_PASSWORD: 'registry-secret-7' }, 'SCHEMA_REGISTRY_USER', /required with SCHEMA_REGISTRY_PASSWORD/],
      [{ REDIS_TLS_CERT_FILE: caFile, REDIS_TLS_KEY_FILE: caFile }, 'REDIS_TLS_CERT_FILE', /rediss:\/\//],
      [{ REDIS_URL: 'rediss://h:1', REDIS_TLS_CERT_FILE: caFile }, 'REDIS_TLS_KEY_FILE', /required with REDIS_TLS_CERT_FILE/],
      [{ REDIS_URL: 'rediss://h:1', REDIS_TLS_KEY_FILE: caFile }, 'REDIS_TLS_CERT_FILE', /required with REDIS_TLS_KEY_FILE/],
      [{ KAFKA_SSL_CERT_FILE: caFile, KAFKA_SSL_KEY_FILE: caFile }, 'KAFKA_SSL_CERT_FILE', /set KAFKA_SSL=true/],
      [{ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: caFile }, 'KAFKA_SSL_CERT_FILE', /required with KAFKA_SSL_KEY_FILE/],
      [{ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: path.join(dir, 'missing.pem') }, 'KAFKA_SSL_CERT_FILE', /cannot read the file/],
      [{ SCHEMA_REGISTRY_CA_FILE: caFile }, 'SCHEMA_REGISTRY_CA_FILE', /must start with https:\/\//],
      [{ SCHEMA_REGISTRY_URL: 'http://r:1', SCHEMA_REGISTRY_CA_FILE: caFile }, 'SCHEMA_REGISTRY_CA_FILE', /must start with https:\/\//],
    ];
    for (const [env, setting, problem] of cases) {
      const err = configError(env);
      assert.equal(err.setting, setting, JSON.stringify(env));
      assert.match(err.message, problem);
      assert.ok(err.message.startsWith(`${setting}: `));
      for (const secret of ['kafka-secret-6', 'registry-secret-7', 'sentinel-secret-8']) assert.equal(err.message.includes(secret), false);
    }
  });

  it('accepts an ACL user whose password is in REDIS_URL, and treats an empty value as unset', () => {
    const c = loadConfig({ env: { REDIS_URL: 'redis://bridge:pw@h:1', REDIS_USERNAME: 'bridge', REDIS_SENTINELS: '', KAFKA_SASL_MECHANISM: ' ', SCHEMA_REGISTRY_URL: '' } });
    assert.equal(c.redisSentinels, undefined);
    assert.equal(c.kafkaSaslMechanism, undefined);
    assert.equal(c.schemaRegistryUrl, undefined);
  });
});
