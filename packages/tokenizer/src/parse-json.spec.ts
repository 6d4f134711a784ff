import { JsonParseError, jsonErrorOffset, jsonErrorPosition, parseJson } from './parse-json';

describe('jsonErrorOffset', () => {
  it.each(['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}} ', '"just a string"', '0'])(
    'is -1 for valid JSON %j',
    (text) => {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonErrorOffset(text)).toBe(-1);
    },
  );

  it.each([
    ['{"a": 1,}', 8], // a name was expected where the } stands
    ['{"a" 1}', 5], // the missing colon
    ['[1, 2', 5], // end of input
    ['', 0],
    ['{"a":1}x', 7], // trailing garbage
    ['[01]', 2], // leading zero: the number ends after 0, then "1" is not , or ]
    ['["a\\q"]', 1], // bad escape: the string that holds it
    ['[tru]', 1],
  ])('finds the error in %j at offset %i (JSON.parse agrees it is invalid)', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});

describe('parseJson', () => {
  it('returns what JSON.parse returns', () => {
    expect(parseJson('{"a": [1, "x"]}', 'test')).toEqual({ a: [1, 'x'] });
  });

  it('names the source, the line and the column of the first error, and keeps the parser message', () => {
    const text = '{\n  "name": "x",\n  "levels": [,]\n}';
    const error = (() => {
      try {
        parseJson(text, 'hierarchy file h.json');
      } catch (caught) {
        return caught as JsonParseError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(JsonParseError);
    expect(error.position).toEqual({ offset: 30, line: 3, column: 14 });
    expect(error.message).toBe(`hierarchy file h.json is not valid JSON: line 3, column 14: ${error.detail}`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(error.detail).toBe((error.cause as Error).message);
  });

  it('counts columns from 1 on the first line too', () => {
    expect(() => parseJson('{"steps": 10,}', 'config file c.json')).toThrow(
      /^config file c\.json is not valid JSON: line 1, column 14: /,
    );
    expect(jsonErrorPosition('')).toEqual({ offset: 0, line: 1, column: 1 });
    expect(jsonErrorPosition('[1]')).toBeUndefined();
  });
});
