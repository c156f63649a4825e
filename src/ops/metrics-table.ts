// The metrics list in docs/operations.md, made from the registry the bridge exposes, so the
// documentation names exactly the series a running bridge exports (scripts/metrics-docs writes
// it; test/ops/metrics-docs.test.ts fails when the docs and the registry differ).

import { BridgeMetrics } from './metrics';

/** A Markdown table of the bridge's own metrics (the process defaults are prom-client's). */
export function metricsTable(): string {
  const metrics = new BridgeMetrics({ defaultMetrics: false }).registry.getMetricsAsArray();
  let md = '| metric | type | labels | what it is |\n|---|---|---|---|\n';
  for (const m of metrics) {
    const { name, help, type, labelNames } = m as unknown as { name: string; help: string; type: string; labelNames: readonly string[] };
    md += `| \`${name}\` | ${type} | ${labelNames.length > 0 ? labelNames.map((l) => `\`${l}\``).join(', ') : '—'} | ${help.replace(/\|/g, '\\|')} |\n`;
  }
  return md;
}

export const METRICS_TABLE_START = '<!-- metrics-table:start -->';
export const METRICS_TABLE_END = '<!-- metrics-table:end -->';

/** The table between the markers in a document, or undefined when it has none. */
export function tableIn(doc: string): string | undefined {
  const i = doc.indexOf(METRICS_TABLE_START);
  const j = doc.indexOf(METRICS_TABLE_END);
  if (i < 0 || j < i) return undefined;
  return doc.slice(i + METRICS_TABLE_START.length, j).trim() + '\n';
}
