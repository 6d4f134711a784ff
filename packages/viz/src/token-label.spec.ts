import { tokenLabel } from './token-label';

describe('tokenLabel', () => {
  it.each([
    ['\n', '\\n'],
    [' ', '␣'],
    ['\t', '\\t'],
    ['\r', '\\r'],
    ['\0', '\\0'],
    ['\x07', '\\x07'],
    ['\x7f', '\\x7f'],
    ['\u00a0', 'nbsp'],
    ['\u2028', '\\u2028'],
    ['a', 'a'],
    ['<', '<'],
    ['é', 'é'],
    ['😀', '😀'],
  ])('labels %j as %j', (token, label) => {
    expect(tokenLabel(token)).toBe(label);
  });

  it('labels multi-character tokens character by character', () => {
    expect(tokenLabel('a b\n')).toBe('a␣b\\n');
  });

  it('rejects the empty token', () => {
    expect(() => tokenLabel('')).toThrow(/empty token/);
  });
});
