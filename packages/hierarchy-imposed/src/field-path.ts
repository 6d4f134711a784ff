/** Show a token so that whitespace stays visible: "\n" rather than a line break. */
export function showToken(token: unknown): string {
  return JSON.stringify(token) ?? String(token);
}
