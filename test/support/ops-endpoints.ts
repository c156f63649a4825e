// Reaching a running bridge's HTTP endpoints from a test: find the address it logged, GET a
// path (one connection per request, so nothing keeps the test process alive), and read one
// sample out of Prometheus text.

import { get } from 'node:http';
import type { BridgeProcess } from './bridge-process';

export interface HttpAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** `http://host:port` of the bridge's endpoints, from its "http endpoints listening" log line. */
export async function endpointsOf(bridge: BridgeProcess): Promise<string> {
  const line = await bridge.waitForLog('http endpoints listening');
  if (typeof line.address !== 'string') throw new Error(`no address in ${JSON.stringify(line)}`);
  return `http://${line.address}`;
}

export function httpGet(url: string, timeoutMs = 10000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The value of one series (`name` or `name{labels}`) in Prometheus text, or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** GET /metrics and return one series' value (undefined when the series is absent). */
export async function scrapeSample(base: string, series: string): Promise<number | undefined> {
  const answer = await httpGet(`${base}/metrics`);
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
  return sample(answer.body, series);
}
