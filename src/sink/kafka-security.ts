// How the bridge proves itself to the brokers and protects the wire: TLS (with the system's
// or a given CA, and a client certificate for mutual TLS) and SASL PLAIN / SCRAM. The one mapping of those settings to client options:
// every Kafka client of the bridge (producer, admin, readers, probe, doctor) starts from it.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

export interface KafkaSecuritySettings {
  kafkaSaslMechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  kafkaSaslUsername: string | undefined;
  kafkaSaslPassword: string | undefined;
  kafkaSsl: boolean;
  kafkaSslCaFile: string | undefined;
  /** Mutual TLS: the certificate and key the bridge shows the brokers (config checks they come together). */
  kafkaSslCertFile?: string | undefined;
  kafkaSslKeyFile?: string | undefined;
}

/** The part of @platformatic/kafka's client options that says how to connect safely. */
export interface ConnectionSecurity {
  tls?: TlsOptions;
  tlsServerName?: boolean;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

const SASL_NAMES = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** TLS and SASL options for any @platformatic/kafka client, from the bridge's settings. */
export function connectionSecurity(settings: KafkaSecuritySettings & { kafkaBrokers: readonly string[] }): ConnectionSecurity {
  const out: ConnectionSecurity = {};
  if (settings.kafkaSsl) {
    // Without KAFKA_SSL_CA_FILE, Node's default CA set.
    out.tls = settings.kafkaSslCaFile !== undefined ? { ca: [readFileSync(settings.kafkaSslCaFile)] } : {};
    if (settings.kafkaSslCertFile !== undefined && settings.kafkaSslKeyFile !== undefined) {
      out.tls.cert = readFileSync(settings.kafkaSslCertFile);
      out.tls.key = readFileSync(settings.kafkaSslKeyFile);
    }
    // SNI with the broker's host name, as the Java client sends it (managed Kafka routes on it);
    // never for an IP address, which TLS does not allow as a server name.
    out.tlsServerName = settings.kafkaBrokers.every((b) => isIP(b.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')) === 0);
  }
  const mechanism = settings.kafkaSaslMechanism;
  // config/consistency.ts has made sure user and password come with a mechanism.
  if (mechanism !== undefined && settings.kafkaSaslUsername !== undefined && settings.kafkaSaslPassword !== undefined) {
    out.sasl = { mechanism: SASL_NAMES[mechanism], username: settings.kafkaSaslUsername, password: settings.kafkaSaslPassword };
  }
  return out;
}
