// How the bridge proves itself to the brokers and protects the wire: TLS (with the system's
// or a given CA) and SASL PLAIN / SCRAM, as kafkajs options. Every Kafka client the bridge
// makes (producer, admin, probe, tail's consumer) is built with them.

import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export interface KafkaSecuritySettings {
  kafkaSaslMechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  kafkaSaslUsername: string | undefined;
  kafkaSaslPassword: string | undefined;
  kafkaSsl: boolean;
  kafkaSslCaFile: string | undefined;
}

export function kafkaSecurity(settings: KafkaSecuritySettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (settings.kafkaSsl) {
    out.ssl = settings.kafkaSslCaFile !== undefined ? { ca: [readFileSync(settings.kafkaSslCaFile)] } : true;
  }
  const mechanism = settings.kafkaSaslMechanism;
  // config/consistency.ts has made sure user and password come with a mechanism.
  if (mechanism !== undefined && settings.kafkaSaslUsername !== undefined && settings.kafkaSaslPassword !== undefined) {
    out.sasl = { mechanism, username: settings.kafkaSaslUsername, password: settings.kafkaSaslPassword } as SASLOptions;
  }
  return out;
}
