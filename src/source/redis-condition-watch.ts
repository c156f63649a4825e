// Watches what Redis answers the bridge, and says when a condition (redis-condition.ts) starts
// and ends: one `warn` naming it and what to do when it starts, one `info` when it ends, never
// one per retry. Every command's outcome reaches it through ioredis's diagnostics channel (so no
// caller has to report), and each connection's failures and readiness through its events.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type Redis from 'ioredis';
import type { CommandTraceContext } from 'ioredis';
import type { Logger } from '../log';
import { conditionOf, conditionText, replyText, type RedisCondition } from './redis-condition';
import { scriptName } from './scripts';

export interface ConditionListener {
  /** A condition started (true) or ended (false). */
  changed(condition: RedisCondition, active: boolean): void;
  /** Redis refused one command (or one connection attempt) with the condition. */
  refused(condition: RedisCondition): void;
}

interface Active {
  since: number;
  lastRefusedAt: number;
  /** What it refused (a command, a script, a connection): each must work again before it ends. */
  refusing: Set<string>;
}

/** Conditions that refuse every command: the first command answered since proves them over. */
const REFUSES_ALL: ReadonlySet<RedisCondition> = new Set(['BUSY', 'LOADING', 'NOAUTH', 'WRONGPASS']);

/** What ioredis sends on connecting, before any command of the bridge's (CLIENT is skipped altogether). */
const LOGIN: ReadonlySet<string> = new Set(['hello', 'auth', 'select']);

/**
 * Refused operations that the bridge stops trying (a leader's script, once it stands by) would
 * hold a condition forever; once it has refused nothing for this long, any answer ends it.
 */
const QUIET_MS = 30_000;

/** ioredis's channel for a command's outcome: its trace context, with `result` or `error`. */
const COMMAND_SETTLED = 'tracing:ioredis:command:asyncEnd';
type CommandSettled = CommandTraceContext & { result?: unknown; error?: unknown };

export class RedisConditionWatch {
  private readonly active = new Map<RedisCondition, Active>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly listener: ConditionListener,
    /** Conditions another part already logs (a lost connection is logged per connection). */
    private readonly logged: (condition: RedisCondition) => boolean = (c) => c !== 'unreachable',
  ) {}

  /** The conditions in force now, oldest first. */
  current(): RedisCondition[] {
    return [...this.active.keys()];
  }

  /**
   * Follows every command this process sends to Redis. ioredis publishes each one's outcome on a
   * diagnostics channel; a command is known by its name, a script by its file's name.
   */
  watchCommands(): void {
    if (this.unsubscribe) return;
    const onSettled = (message: unknown): void => this.settled(message as CommandSettled);
    subscribe(COMMAND_SETTLED, onSettled);
    this.unsubscribe = () => unsubscribe(COMMAND_SETTLED, onSettled);
  }

  /**
   * Follows one connection: a failure to connect or to authenticate arrives as its `error`
   * event (the commands waiting for it are not sent); `ready` proves it answers again.
   */
  watchConnection(redis: Redis, name: string): void {
    const key = `connection ${name}`;
    redis.on('error', (err: Error) => this.refused(err, key));
    // A connection closed without an error (the server killed) is unreachable until it connects
    // again — unless a named refusal (WRONGPASS, …) closed it, which speaks for itself.
    redis.on('reconnecting', () => {
      if (![...this.active.values()].some((state) => state.refusing.has(key))) this.refused(new Error('Connection is closed.'), key);
    });
    redis.on('connect', () => this.reached(key));
    redis.on('ready', () => this.answered(key));
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private settled(ctx: CommandSettled): void {
    // Sentinels answer for themselves (their failures show as the master's); CLIENT SETNAME and
    // SETINFO, sent on connecting, fail with NOAUTH whenever the login fails, whatever failed it.
    if (ctx.command === 'sentinel' || ctx.command === 'client') return;
    const key = ctx.command === 'evalsha' || ctx.command === 'eval' ? `script ${scriptName(String(ctx.args[0] ?? ''))}` : ctx.command;
    if ('error' in ctx && ctx.error !== undefined) {
      this.refused(ctx.error, key);
      return;
    }
    // Logging in is answered even while Redis loads or refuses everything else: no proof of an end.
    if (LOGIN.has(ctx.command)) return;
    // ioredis's ready check asks INFO and, while Redis loads, waits and asks again: that wait
    // is LOADING, though no command is refused.
    if (ctx.command === 'info') {
      const loading = typeof ctx.result === 'string' ? /^loading:([01])\r?$/m.exec(ctx.result)?.[1] : undefined;
      if (loading === '1') this.refused(new Error('LOADING Redis is loading the dataset in memory'), key);
      // INFO of a section without the field (INFO memory, for a metric) is answered while Redis
      // loads too: it says nothing about the load.
      if (loading !== '0') return;
    }
    this.answered(key);
  }

  /** Records a refusal; says so if it starts a condition. Returns the condition, if one. */
  refused(err: unknown, what: string): RedisCondition | undefined {
    const condition = conditionOf(err);
    if (condition === undefined) return undefined;
    this.listener.refused(condition);
    const now = Date.now();
    const known = this.active.get(condition);
    if (known) {
      known.lastRefusedAt = now;
      known.refusing.add(what);
      return condition;
    }
    this.active.set(condition, { since: now, lastRefusedAt: now, refusing: new Set([what]) });
    this.listener.changed(condition, true);
    if (this.logged(condition)) {
      const { what: meaning, action } = conditionText(condition);
      this.log.warn({ condition, refused: what, err: replyText(err), action }, `redis ${condition}: ${meaning} — ${action}`);
    }
    return condition;
  }

  /**
   * `what` worked. A condition that refuses everything is over at once; one that refuses writes
   * only (READONLY, MISCONF, OOM: reads still work) once everything it refused has worked again.
   */
  answered(what: string): void {
    if (this.active.size === 0) return;
    const now = Date.now();
    for (const [condition, state] of this.active) {
      // Some commands (TIME, INFO) are answered during a load: only the load's end ends it.
      if (condition === 'LOADING' && what !== 'info' && !what.startsWith('connection ')) continue;
      state.refusing.delete(what);
      if (REFUSES_ALL.has(condition) || state.refusing.size === 0 || now - state.lastRefusedAt > QUIET_MS) this.end(condition, state, now, what);
    }
  }

  /** A connection was made: it is no longer unreachable, whatever it is answered next. */
  private reached(what: string): void {
    const state = this.active.get('unreachable');
    if (!state) return;
    state.refusing.delete(what);
    if (state.refusing.size === 0) this.end('unreachable', state, Date.now(), what);
  }

  private end(condition: RedisCondition, state: Active, now: number, answered: string): void {
    this.active.delete(condition);
    this.listener.changed(condition, false);
    if (this.logged(condition)) {
      this.log.info({ condition, lastedMs: now - state.since, answered }, `redis ${condition} is over after ${((now - state.since) / 1000).toFixed(1)} s: the bridge's commands work again`);
    }
  }
}
