// `sample --width all`: one column per width, so the widths can be compared line by line.
import { tokenLabel } from '@matryoshka/viz';

/** Visual lines of a text: split at newlines, then wrapped at `width` code points. */
export function wrapLines(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const chars = [...line];
    if (chars.length === 0) out.push('');
    for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(''));
  }
  return out;
}

/** Columns with a header each, padded to `width`, separated by " │ ". */
export function sideBySide(columns: readonly { header: string; text: string }[], width: number): string {
  const wrapped = columns.map((c) => wrapLines(c.text, width));
  const rows = Math.max(...wrapped.map((w) => w.length));
  const pad = (s: string) => s + ' '.repeat(Math.max(0, width - [...s].length));
  const lines = [columns.map((c) => pad(c.header)).join(' │ '), columns.map(() => '─'.repeat(width)).join('─┼─')];
  for (let r = 0; r < rows; r++) lines.push(wrapped.map((w) => pad(w[r] ?? '')).join(' │ ').trimEnd());
  return lines.join('\n');
}

/** A prompt shown on one line (newlines and spaces made visible). */
export function visiblePrompt(prompt: string): string {
  return [...prompt].map((c) => (c === '\n' ? tokenLabel(c) : c)).join('');
}
