// Single read-only Kafka requests for the checks (ApiVersions, Metadata with the caller's
// authorized operations, DescribeConfigs, DescribeCluster, DescribeAcls, FindCoordinator,
// DescribeQuorum), sent over one @platformatic/kafka connection with the bridge's security
// settings. A reply that carries error codes is returned with them, not thrown: for a check,
// "not authorized" is an answer.

import type { Admin, Connection } from '@platformatic/kafka';
import { connectionSecurity, type KafkaSecuritySettings } from './kafka-security';
import { loadPlatformatic, type Platformatic } from './platformatic';

/** Kafka's error codes the checks tell apart. */
export const KafkaCode = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  TOPIC_AUTHORIZATION_FAILED: 29,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  UNSUPPORTED_VERSION: 35,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
} as const;

export interface WireSettings extends KafkaSecuritySettings {
  kafkaBrokers: readonly string[];
  kafkaClientId: string;
}

type RawApi<A extends unknown[], R> = { async: (connection: Connection, ...args: A) => Promise<R> };

export class KafkaWire {
  private constructor(
    readonly kafka: Platformatic,
    private readonly admin: Admin,
    private readonly connection: Connection,
    /** The answering broker's ApiVersions: each API's key and highest version. */
    readonly apiVersions: { apiKey: number; maxVersion: number }[],
  ) {}

  /**
   * Connects to the first bootstrap broker that answers (and authenticates): every request
   * here may go to any broker, and a broker that is down or frozen must not stall the checks.
   */
  static async open(settings: WireSettings): Promise<KafkaWire> {
    const kafka = await loadPlatformatic();
    const admin = new kafka.Admin({
      clientId: `${settings.kafkaClientId}-doctor`,
      bootstrapBrokers: [...settings.kafkaBrokers],
      connectTimeout: 3000,
      timeout: 5000,
      retries: 0,
      ...connectionSecurity(settings),
    });
    let lastError: unknown;
    for (const address of settings.kafkaBrokers) {
      const colon = address.lastIndexOf(':');
      const broker = { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
      try {
        const connection = await new Promise<Connection>((resolve, reject) => {
          admin.connections.get(broker, (err, c) => (err ? reject(err) : resolve(c!)));
        });
        // A frozen broker's kernel still accepts the connection: only an answer proves it alive.
        const versions = await kafka.apiVersionsV3.api.async(connection, 'cdr-bridge', '0.1.0');
        return new KafkaWire(kafka, admin, connection, versions.apiKeys);
      } catch (err) {
        lastError = err;
      }
    }
    await admin.close().catch(() => undefined);
    throw lastError;
  }

  /** Sends one request; a reply with error codes is returned as it is. */
  async ask<A extends unknown[], R>(api: RawApi<A, R>, args: A): Promise<R> {
    try {
      return await api.async(this.connection, ...args);
    } catch (err) {
      const response = (err as { response?: unknown }).response;
      if (response !== undefined && response !== null && typeof response === 'object') return response as R;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}

/** The operations a Kafka authorized-operations bit field allows (bit i = AclOperation i). */
export function allowedOperations(bits: number): Set<number> {
  const out = new Set<number>();
  for (let op = 0; op < 31; op++) if ((bits & (1 << op)) !== 0) out.add(op);
  return out;
}
