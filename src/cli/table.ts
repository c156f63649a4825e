// Plain-text tables for command output (replay --dry-run, dlq list): left-aligned columns two
// spaces apart, readable in a terminal and still easy to cut with awk.

/** The first row is the header; a row may carry one cell beyond it (a note), left unpadded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const columns = rows[0]?.length ?? 0;
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((cell, c) => (c < columns - 1 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  ').trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}
