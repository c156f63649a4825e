// The series names a PromQL expression reads, for checking dashboards and alert rules against a
// live /metrics. Not a parser: strings, label matchers, ranges and label lists are cut out, and
// what remains is names, function calls, keywords and numbers. It fails safe: a name it
// mis-reads is reported as missing, never hidden.

/** Words of PromQL that are not series (functions are recognised by the "(" after them). */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

export function seriesNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers (Grafana's $variables inside them too)
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries ($__rate_interval too)
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?\w+\}?/g, ' '); // any other Grafana variable
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = stripped[m.index - 1] ?? ' ';
    const after = stripped.slice(m.index + m[0].length);
    if (/[0-9.]/.test(before)) continue; // the unit of a duration (5m) or an exponent (1e3)
    if (/^\s*\(/.test(after)) continue; // a function or an aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The series names present in Prometheus text exposition (histograms as their _bucket, _sum, _count). */
export function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}
