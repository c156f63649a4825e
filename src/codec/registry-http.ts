// One HTTP exchange with the schema registry, over node:http / node:https rather than fetch:
// fetch takes no CA of its own, and SCHEMA_REGISTRY_CA_FILE must be trusted by this client
// alone (without it, the default CAs: the host's store and Node's, see bin/cdr-bridge).

import http from 'node:http';
import https from 'node:https';

export interface HttpReply {
  status: number;
  statusText: string;
  text: string;
}

export interface HttpExchange {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** CAs to trust instead of the default ones (https only). */
  ca?: Buffer[];
  timeoutMs: number;
}

/** Rejects on a network failure or when the whole exchange takes longer than `timeoutMs` (an AbortError). */
export function exchange(url: URL, x: HttpExchange): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const options = { method: x.method, headers: x.headers, signal: AbortSignal.timeout(x.timeoutMs), ...(x.ca ? { ca: x.ca } : {}) };
    const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(x.body);
  });
}
