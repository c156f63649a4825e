// A small client of a Confluent-compatible schema registry (Confluent's, Apicurio's ccompat
// API, ...): register a schema, look up its id under a subject, fetch a schema by id. HTTP(S)
// with an optional CA of its own, a deadline per request, optional basic auth; errors carry the
// registry's message, never a credential.

import { readFileSync } from 'node:fs';
import { BridgeError } from '../errors';
import { exchange } from './registry-http';

export interface RegistrySettings {
  /** The API root: requests go to <url>/subjects/..., <url>/schemas/ids/... */
  schemaRegistryUrl: string;
  schemaRegistryUser: string | undefined;
  schemaRegistryPassword: string | undefined;
  /** PEM file of the CAs to trust for an https:// registry (default: the process's default CAs). */
  schemaRegistryCaFile?: string | undefined;
}

/** The subject of a topic's message values (Confluent's default TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5';
const DEFAULT_TIMEOUT_MS = 10_000;

export class SchemaRegistryError extends BridgeError {
  readonly exitCode = 1;
  constructor(
    /** REGISTRY_UNREACHABLE: no answer (network, timeout, 5xx); REGISTRY_REFUSED: it answered no. */
    readonly code: 'REGISTRY_UNREACHABLE' | 'REGISTRY_REFUSED',
    message: string,
    readonly status?: number,
    /** The registry's error_code, e.g. 40401 subject not found, 409 incompatible. */
    readonly registryCode?: number,
  ) {
    super(message);
  }

  /** Worth trying again later: the registry did not answer, or answered "not now". */
  get retriable(): boolean {
    return this.code === 'REGISTRY_UNREACHABLE';
  }
}

export class SchemaRegistry {
  private readonly base: string;
  private readonly authorization: string | undefined;
  private readonly secrets: string[];
  private readonly ca: Buffer[] | undefined;

  constructor(
    settings: RegistrySettings,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.ca = settings.schemaRegistryCaFile !== undefined ? [readFileSync(settings.schemaRegistryCaFile)] : undefined;
    // Credentials in the URL are taken out and sent as basic auth.
    const url = new URL(settings.schemaRegistryUrl);
    const user = settings.schemaRegistryUser ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
    const password = settings.schemaRegistryPassword ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined);
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/+$/, '');
    this.authorization = user !== undefined ? `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` : undefined;
    this.secrets = [user, password].filter((s): s is string => s !== undefined && s.length >= 3);
  }

  /** The API root as messages may show it: no credentials. */
  get address(): string {
    return this.base;
  }

  /** Registers `schema` under `subject` (a no-op for a schema it already has) and returns its id. */
  async register(subject: string, schema: string): Promise<number> {
    const reply = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema }, `registering the schema under subject "${subject}"`);
    return idOf(reply.body, this.address);
  }

  /** The id `schema` has under `subject`, or undefined when the subject does not have it. */
  async lookup(subject: string, schema: string): Promise<number | undefined> {
    const reply = await this.request('POST', `/subjects/${encodeURIComponent(subject)}`, { schema }, `looking up the schema under subject "${subject}"`, [404]);
    return reply.status === 404 ? undefined : idOf(reply.body, this.address);
  }

  /**
   * Whether `schema` could be registered under `subject` by the subject's compatibility rule,
   * checked against its latest version; undefined when the subject has no version yet. Reads only.
   */
  async compatibleWithLatest(subject: string, schema: string): Promise<{ compatible: boolean; messages: string[] } | undefined> {
    // Some registries (Apicurio) call any schema compatible with a subject that does not exist.
    const latest = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`, undefined, `reading the latest version of subject "${subject}"`, [404]);
    if (latest.status === 404) return undefined;
    const reply = await this.request('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`, { schema }, `checking the schema's compatibility under subject "${subject}"`, [404]);
    if (reply.status === 404) return undefined;
    const body = reply.body as { is_compatible?: unknown; messages?: unknown } | undefined;
    if (typeof body?.is_compatible !== 'boolean') throw new SchemaRegistryError('REGISTRY_REFUSED', `schema registry at ${this.address}: compatibility reply has no "is_compatible"`, reply.status);
    const messages = Array.isArray(body.messages) ? body.messages.map((m) => this.clean(String(m))) : [];
    return { compatible: body.is_compatible, messages };
  }

  /** The text of the schema with this id, or undefined when the registry has no such id. */
  async schemaById(id: number): Promise<string | undefined> {
    const reply = await this.request('GET', `/schemas/ids/${id}`, undefined, `fetching schema id ${id}`, [404]);
    if (reply.status === 404) return undefined;
    const schema = (reply.body as { schema?: unknown } | undefined)?.schema;
    if (typeof schema !== 'string') throw new SchemaRegistryError('REGISTRY_REFUSED', `schema registry at ${this.address}: fetching schema id ${id}: reply has no "schema" string`, reply.status);
    return schema;
  }

  private async request(method: 'GET' | 'POST', path: string, body: unknown, what: string, expected: number[] = []): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: ACCEPT };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    let res: { status: number; statusText: string; ok: boolean };
    let text: string;
    try {
      const reply = await exchange(new URL(`${this.base}${path}`), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(this.ca ? { ca: this.ca } : {}),
        timeoutMs: this.timeoutMs,
      });
      res = { ...reply, ok: reply.status >= 200 && reply.status < 300 };
      text = reply.text;
    } catch (err) {
      throw new SchemaRegistryError('REGISTRY_UNREACHABLE', `cannot reach the schema registry at ${this.address} (${what}): ${this.clean(networkReason(err, this.timeoutMs))}`);
    }
    const parsed = parseJson(text);
    if (res.ok || expected.includes(res.status)) return { status: res.status, body: parsed };
    const reply = parsed as { message?: unknown; error_code?: unknown } | undefined;
    const message = typeof reply?.message === 'string' ? reply.message : text.trim().slice(0, 200) || res.statusText;
    const registryCode = typeof reply?.error_code === 'number' ? reply.error_code : undefined;
    // 5xx, 408 and 429 say "not now"; any other answer is the registry's considered no.
    const code = res.status >= 500 || res.status === 408 || res.status === 429 ? 'REGISTRY_UNREACHABLE' : 'REGISTRY_REFUSED';
    const detail = registryCode !== undefined ? `HTTP ${res.status}, error ${registryCode}` : `HTTP ${res.status}`;
    throw new SchemaRegistryError(code, `schema registry at ${this.address} refused ${what}: ${this.clean(message.split('\n')[0] ?? message)} (${detail})`, res.status, registryCode);
  }

  /** Belt and braces: a registry or proxy that echoes a credential back must not get it printed. */
  private clean(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }
}

function idOf(body: unknown, address: string): number {
  const id = (body as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw new SchemaRegistryError('REGISTRY_REFUSED', `schema registry at ${address}: reply has no integer "id"`);
  }
  return id;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no reply within ${timeoutMs} ms`;
  return err instanceof Error ? err.message : String(err);
}
