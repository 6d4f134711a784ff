/**
 * Readable label for a token (a character or a short string) on axes and in tables:
 * whitespace and control characters become visible escapes so "\n" or " " never shows up
 * as an empty tick label.
 */

// Short, conventional escapes first; every other control character gets a \xHH / \u{...} escape.
const NAMED: Record<string, string> = {
  ' ': '␣',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\f': '\\f',
  '\b': '\\b',
  '\0': '\\0',
  '\u00a0': 'nbsp',
  '\u200b': 'zwsp',
  '\ufeff': 'bom',
};

function isInvisible(codePoint: number): boolean {
  // C0 controls, DEL, C1 controls, line/paragraph separators.
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) || codePoint === 0x2028 || codePoint === 0x2029;
}

function labelChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const codePoint = ch.codePointAt(0) ?? 0;
  if (!isInvisible(codePoint)) return ch;
  return codePoint <= 0xff
    ? `\\x${codePoint.toString(16).padStart(2, '0')}`
    : `\\u${codePoint.toString(16).padStart(4, '0')}`;
}

/**
 * `tokenLabel('\n') === '\\n'`, `tokenLabel(' ') === '␣'`, `tokenLabel('\t') === '\\t'`,
 * `tokenLabel('\x07') === '\\x07'`, `tokenLabel('a') === 'a'`. Multi-character tokens are
 * labelled character by character. Throws on the empty string (no token is empty).
 */
export function tokenLabel(token: string): string {
  if (typeof token !== 'string') throw new Error(`tokenLabel: token must be a string, got ${typeof token}`);
  if (token.length === 0) throw new Error('tokenLabel: empty token has no label');
  let out = '';
  for (const ch of token) out += labelChar(ch);
  return out;
}
