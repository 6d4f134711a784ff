// CharTokenizer with files: the browser-safe tokenizer (char-tokenizer-core.ts) plus load and
// save, which need Node's file system. The package's main door exports this one.
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic-write';
import { CharTokenizer as CoreCharTokenizer } from './char-tokenizer-core';

export class CharTokenizer extends CoreCharTokenizer {
  static load(file: string): CharTokenizer {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`could not read tokenizer file ${file}: ${(error as Error).message}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`tokenizer file ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    return CharTokenizer.fromJSON(parsed, `tokenizer file ${file}`);
  }

  /** Save as pretty JSON, atomically. */
  save(file: string): void {
    writeFileAtomic(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
  }
}
