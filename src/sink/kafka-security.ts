// How the bridge proves itself to the brokers and protects the wire: TLS (with the system's
// or a given CA) and SASL PLAIN / SCRAM: what the settings ask for, and that as kafkajs options
// (admin, read-back, probe, tail's consumer); ./producer.ts maps the same to @platformatic/kafka's.

import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export interface KafkaSecuritySettings {
  kafkaSaslMechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  kafkaSaslUsername: string | undefined;
  kafkaSaslPassword: string | undefined;
  kafkaSsl: boolean;
  kafkaSslCaFile: string | undefined;
  kafkaSslCertFile?: string | undefined;
  kafkaSslKeyFile?: string | undefined;
}

export interface SaslLogin {
  mechanism: NonNullable<KafkaSecuritySettings['kafkaSaslMechanism']>;
  username: string;
  password: string;
}

/** The SASL login the settings configure, if any; both Kafka clients map it to their own shape. */
export function saslLogin(settings: KafkaSecuritySettings): SaslLogin | undefined {
  const mechanism = settings.kafkaSaslMechanism;
  // config/consistency.ts has made sure user and password come with a mechanism.
  if (mechanism === undefined || settings.kafkaSaslUsername === undefined || settings.kafkaSaslPassword === undefined) return undefined;
  return { mechanism, username: settings.kafkaSaslUsername, password: settings.kafkaSaslPassword };
}

/** With KAFKA_SSL: the CAs KAFKA_SSL_CA_FILE names, or undefined for the system's. */
export function sslCa(settings: KafkaSecuritySettings): Buffer[] | undefined {
  return settings.kafkaSslCaFile !== undefined ? [readFileSync(settings.kafkaSslCaFile)] : undefined;
}

/** With KAFKA_SSL: the client certificate and key (mutual TLS), when KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE name them. */
export function sslClientCertificate(settings: KafkaSecuritySettings): { cert: Buffer; key: Buffer } | undefined {
  if (settings.kafkaSslCertFile === undefined || settings.kafkaSslKeyFile === undefined) return undefined;
  return { cert: readFileSync(settings.kafkaSslCertFile), key: readFileSync(settings.kafkaSslKeyFile) };
}

export function kafkaSecurity(settings: KafkaSecuritySettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (settings.kafkaSsl) {
    const ca = sslCa(settings);
    const client = sslClientCertificate(settings);
    out.ssl = ca || client ? { ...(ca ? { ca } : {}), ...client } : true;
  }
  const login = saslLogin(settings);
  if (login) out.sasl = login as SASLOptions;
  return out;
}
