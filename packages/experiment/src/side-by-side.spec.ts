import { sideBySide, wrapLines } from './side-by-side';

describe('sideBySide', () => {
  it('wraps at the column width and at newlines', () => {
    expect(wrapLines('abcdefg\n\nxy', 3)).toEqual(['abc', 'def', 'g', '', 'xy']);
  });
  it('puts columns next to each other under their headers', () => {
    const out = sideBySide([{ header: 'w8', text: 'abcd' }, { header: 'w16', text: 'x\ny\nz' }], 3);
    expect(out.split('\n')).toEqual(['w8  │ w16', '────┼────', 'abc │ x', 'd   │ y', '    │ z']);
  });
});
