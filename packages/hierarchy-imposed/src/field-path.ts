/** Render a JSON path the way a reader would type it: `levels[1].groups.vowels[3]`. */
export function fieldPath(parts: readonly (string | number)[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Show a token so that whitespace stays visible: "\n" rather than a line break. */
export function showToken(token: unknown): string {
  return JSON.stringify(token) ?? String(token);
}
