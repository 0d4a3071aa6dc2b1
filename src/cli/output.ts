// How client verbs print: `text` for people (values raw, one item per line), `json` for scripts (the
// HTTP API's JSON shapes, so jq filters match docs/api.md), `table` for a bordered table. Results go to
// stdout; progress and errors go to stderr.
import Table from 'cli-table3';

export const OUTPUT_FORMATS = ['text', 'json', 'table'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Columns wider than this are cut with an ellipsis, so a large value keeps a table readable. */
const CELL_CHARS_MAX = 60;

export function writeLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function writeJson(value: unknown): void {
  writeLine(JSON.stringify(value));
}

type Cell = string | number | boolean | null | undefined;

/** `bordered` for --output table; borderless aligned columns for text. */
export function writeTable(head: readonly string[], rows: readonly (readonly Cell[])[], bordered: boolean): void {
  const cut = (cell: Cell): string => {
    const text = cell === undefined || cell === null ? '' : String(cell);
    return text.length > CELL_CHARS_MAX ? `${text.slice(0, CELL_CHARS_MAX - 1)}…` : text;
  };
  const borderless = {
    chars: Object.fromEntries(
      [
        'top',
        'top-mid',
        'top-left',
        'top-right',
        'bottom',
        'bottom-mid',
        'bottom-left',
        'bottom-right',
        'left',
        'left-mid',
        'mid',
        'mid-mid',
        'right',
        'right-mid',
        'middle',
      ].map((c) => [c, '']),
    ),
    style: { 'padding-left': 0, 'padding-right': 2, head: [], border: [] },
  };
  const table = new Table({ head: [...head], ...(bordered ? { style: { head: [], border: [], compact: true } } : borderless) });
  for (const row of rows) table.push(row.map(cut));
  // Borderless rows end in padding; trailing spaces only get in the way of scripts and diffs.
  writeLine(
    table
      .toString()
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n'),
  );
}

/** A value as one line of text: UTF-8, with control characters escaped. */
export function valueText(value: Uint8Array): string {
  return JSON.stringify(Buffer.from(value).toString('utf8')).slice(1, -1);
}
