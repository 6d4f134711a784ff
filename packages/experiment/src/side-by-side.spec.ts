import { alignColumns, sideBySide, wrapLines } from './side-by-side';

describe('sideBySide', () => {
  it('wraps at the column width, showing newlines and tabs as symbols inside the column', () => {
    expect(wrapLines('abcdefg\n\nxy', 3)).toEqual(['abc', 'def', 'g↵↵', 'xy']);
    expect(wrapLines('a\tb\r\u0007', 8)).toEqual(['a⇥b␍�']);
    expect(wrapLines('', 3)).toEqual(['']);
  });
  it('puts columns next to each other under their headers', () => {
    const out = sideBySide(
      [
        { header: 'w8', text: 'abcd' },
        { header: 'w16', text: 'x\ny\nz' },
      ],
      3,
    );
    expect(out.split('\n')).toEqual(['w8  │ w16', '────┼────', 'abc │ x↵y', 'd   │ ↵z']);
  });
  it('keeps the column layout in every row, whatever the generated text holds', () => {
    const texts = ['\n\nROMEO:\n\tso\n', 'ab\r\ncd\u000bef\u2028g', 'no control at all, but long enough to wrap'];
    const out = sideBySide(
      texts.map((text, k) => ({ header: `width ${k}`, text })),
      6,
    ).split('\n');
    expect(out.length).toBeGreaterThan(3);
    for (const line of out.slice(2)) {
      const cells = line.split(' │ ');
      expect(cells).toHaveLength(3);
      for (const cell of cells.slice(0, 2)) expect([...cell]).toHaveLength(6);
      expect(line).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
    }
  });
});

describe('alignColumns', () => {
  it('right-aligns the first `right` columns, left-aligns the rest, two spaces apart, no trailing space', () => {
    expect(
      alignColumns(
        [
          ['1', 'ab', 'x'],
          ['10', 'a', 'yy'],
        ],
        1,
      ),
    ).toEqual([' 1  ab  x', '10  a   yy']);
    expect(
      alignColumns([
        ['1', 'ab'],
        ['10', 'a'],
      ]),
    ).toEqual([' 1  ab', '10   a']);
  });
});
