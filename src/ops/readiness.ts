// Readiness: is this bridge doing its job (leading, or standing by to take over) with both
// Redis and Kafka reachable? Fed by the observer calls; read by GET /readyz.

import type { Role } from '../bridge/observer';
import type { StandDown } from '../bridge/progress-watchdog';

export interface Readiness {
  ready: boolean;
  role: Role;
  redis: boolean;
  kafka: boolean;
  /** Present while standing by after the progress watchdog made this bridge stand down. */
  stoodDown?: StandDown;
  /** Present while Redis refuses the bridge's commands: which condition, and what to do. */
  redisConditions?: { condition: string; action: string }[];
}

export class ReadinessState {
  private currentRole: Role = 'starting';
  private redis = false;
  /** What the bridge saw: false from a failed publish until one succeeds (or it stops publishing). */
  private kafkaSeen = false;
  /** What the periodic probe saw; true when there is no probe, so it never blocks on its own. */
  private kafkaProbed = true;
  private standDown: StandDown | undefined;
  /** Conditions in force (READONLY, BUSY, …) and what to do about each, oldest first. */
  private readonly redisConditions = new Map<string, string>();

  get role(): Role {
    return this.currentRole;
  }

  setRole(role: Role): void {
    this.currentRole = role;
    // A standby publishes nothing, so a publish failure from its time as leader says nothing
    // about Kafka now; the probe speaks for it from here on.
    if (role === 'standby') this.kafkaSeen = true;
    if (role === 'leader') this.standDown = undefined;
  }

  setStoodDown(standDown: StandDown): void {
    this.standDown = standDown;
  }

  setRedis(up: boolean): void {
    this.redis = up;
  }

  setRedisCondition(condition: string, active: boolean, action: string): void {
    if (active) this.redisConditions.set(condition, action);
    else this.redisConditions.delete(condition);
  }

  setKafkaSeen(up: boolean): void {
    this.kafkaSeen = up;
  }

  setKafkaProbed(up: boolean): void {
    this.kafkaProbed = up;
  }

  get kafka(): boolean {
    return this.kafkaSeen && this.kafkaProbed;
  }

  /** Connected, and answering: a Redis that refuses every write is no more use than none. */
  get redisUp(): boolean {
    return this.redis && this.redisConditions.size === 0;
  }

  current(): Readiness {
    const role = this.currentRole;
    const kafka = this.kafka;
    const redis = this.redisUp;
    const ready = (role === 'leader' || role === 'standby') && redis && kafka;
    const conditions = [...this.redisConditions].map(([condition, action]) => ({ condition, action }));
    return { ready, role, redis, kafka, ...(this.standDown && { stoodDown: this.standDown }), ...(conditions.length > 0 && { redisConditions: conditions }) };
  }
}
