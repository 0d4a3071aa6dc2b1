// Markdown building blocks for the report: aligned tables (readable in a terminal as well as
// rendered) and number formats.

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(3, ...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function count(value: number): string {
  return Number.isFinite(value) ? grouped.format(value) : '-';
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

// Latencies from tens of µs to seconds: two significant decimals below 10 ms, whole ms above.
export function ms(value: number): string {
  return fixed(value, value < 10 ? 2 : value < 100 ? 1 : 0);
}

export function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '-';
}

export function range(min: number, max: number, format: (value: number) => string): string {
  return Number.isFinite(min) ? `${format(min)}–${format(max)}` : '-';
}
