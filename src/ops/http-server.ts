// The operator's endpoints on loopback (by default): GET /metrics for Prometheus, /healthz for
// liveness and /readyz for readiness. Plain node:http: three read-only routes need no framework.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { OperationError } from '../errors';
import type { Logger } from '../log';
import type { Readiness } from './readiness';

export interface HttpSettings {
  httpHost: string;
  /** 0 picks a free port; the bound address is logged. */
  httpPort: number;
}

export interface Endpoints {
  readonly registry: Registry;
  readiness(): Readiness;
}

export interface OpsHttpServer {
  /** host:port actually bound. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startHttpServer(settings: HttpSettings, endpoints: Endpoints, log: Logger): Promise<OpsHttpServer> {
  const server = createServer((req, res) => {
    route(req, res, endpoints).catch((err: Error) => {
      log.warn({ err: err.message, url: req.url }, 'http endpoint failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  await listen(server, settings);
  const bound = server.address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  log.info({ address }, 'http endpoints listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections (a scraper's) would hold close() open for their timeout.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, settings: HttpSettings): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new OperationError('HTTP_LISTEN', `cannot serve /metrics, /healthz, /readyz on ${settings.httpHost}:${settings.httpPort}: ${err.code ?? err.message} (set HTTP_PORT or HTTP_HOST)`));
    });
    server.listen(settings.httpPort, settings.httpHost, () => resolve());
  });
}

async function route(req: IncomingMessage, res: ServerResponse, endpoints: Endpoints): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  switch (path) {
    case '/metrics':
      return send(res, 200, endpoints.registry.contentType, await endpoints.registry.metrics());
    case '/healthz': {
      // Answering at all is the proof of life: a wedged event loop cannot, and the probe times out.
      // A bridge that stood down is alive (restarting it would not help): it says why, still 200.
      const { stoodDown } = endpoints.readiness();
      return send(res, 200, 'text/plain; charset=utf-8', stoodDown ? `ok: standing by since stepping down as leader at ${new Date(stoodDown.at).toISOString()}: ${stoodDown.reason}\n` : 'ok');
    }
    case '/readyz': {
      const readiness = endpoints.readiness();
      return send(res, readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify(readiness)}\n`);
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
