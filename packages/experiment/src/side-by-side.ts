// Text in columns for the terminal: `sample --width all`'s one column per width, so the widths
// can be compared line by line, and the aligned tables of compare, mix and baselines.
import { tokenLabel } from '@matryoshka/viz';

/** Symbols shown in a column for characters that would move the cursor or print nothing. */
const VISIBLE: Record<string, string> = { '\n': '↵', '\r': '␍', '\t': '⇥' };

/** One column cell per character: newlines, tabs and other control characters as a visible symbol. */
export function visibleText(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => VISIBLE[c] ?? '�');
}

/** Visual lines of a text in a column: control characters made visible, wrapped at `width` code points. */
export function wrapLines(text: string, width: number): string[] {
  const chars = [...visibleText(text)];
  if (chars.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(''));
  return out;
}

/** Columns with a header each, padded to `width`, separated by " │ ". */
export function sideBySide(columns: readonly { header: string; text: string }[], width: number): string {
  const wrapped = columns.map((c) => wrapLines(c.text, width));
  const rows = Math.max(...wrapped.map((w) => w.length));
  const pad = (s: string) => s + ' '.repeat(Math.max(0, width - [...s].length));
  const lines = [columns.map((c) => pad(c.header)).join(' │ '), columns.map(() => '─'.repeat(width)).join('─┼─')];
  for (let r = 0; r < rows; r++)
    lines.push(
      wrapped
        .map((w) => pad(w[r] ?? ''))
        .join(' │ ')
        .trimEnd(),
    );
  return lines.join('\n');
}

/** A prompt shown on one line (newlines and spaces made visible). */
export function visiblePrompt(prompt: string): string {
  return [...prompt].map((c) => (c === '\n' ? tokenLabel(c) : c)).join('');
}

/** Rows of cells as lines, columns two spaces apart: the first `right` right-aligned (numbers), the rest left. */
export function alignColumns(rows: readonly (readonly string[])[], right = Infinity): string[] {
  const widths = rows[0].map((_, k) => Math.max(...rows.map((row) => row[k].length)));
  return rows.map((row) =>
    row
      .map((cell, k) => (k < right ? cell.padStart(widths[k]) : cell.padEnd(widths[k])))
      .join('  ')
      .trimEnd(),
  );
}
