import { jsonErrorOffset } from './json-error-offset';

describe('jsonErrorOffset', () => {
  it.each([
    '{}',
    '[]',
    ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}} ',
    '"just a string"',
    '0',
  ])('is -1 for valid JSON %j', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(jsonErrorOffset(text)).toBe(-1);
  });

  it.each([
    ['{"a": 1,}', 8], // a name was expected where the } stands
    ['{"a" 1}', 5], // the missing colon
    ['[1, 2', 5], // end of input
    ['', 0],
    ['{"a":1}x', 7], // trailing garbage
    ['[01]', 2], // leading zero: the number ends after 0, then "1" is not , or ]
    ['["a\\q"]', 4], // bad escape
    ['[tru]', 1],
  ])('finds the error in %j at offset %i (JSON.parse agrees it is invalid)', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
