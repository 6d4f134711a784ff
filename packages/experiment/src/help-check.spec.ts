import { appTargetProblems, helpProblems, helpTexts } from './help-check';
import { tinyNestedApp } from './tiny-run.test-helper';

describe('helpProblems', () => {
  it('finds null and doubled defaults, raw control characters and a default broken over two lines', () => {
    const text = [
      '  --importance X,X,...  relative loss weight (default all 1) (default null)',
      '  --prompt TEXT         text to continue (default ',
      ')',
      '  --sep TEXT            separator (default \t)',
      '  --tokens N            tokens to generate (default 300)',
    ].join('\n');
    expect(helpProblems(text)).toEqual([
      `null or undefined: ${JSON.stringify('  --importance X,X,...  relative loss weight (default all 1) (default null)')}`,
      `two defaults: ${JSON.stringify('  --importance X,X,...  relative loss weight (default all 1) (default null)')}`,
      `unbalanced parentheses: ${JSON.stringify('  --prompt TEXT         text to continue (default ')}`,
      'unbalanced parentheses: ")"',
      `a raw control character: ${JSON.stringify('  --sep TEXT            separator (default \t)')}`,
    ]);
  });
});

describe('helpTexts', () => {
  it("renders every target's --help as the command prints it", async () => {
    const texts = await helpTexts(tinyNestedApp);
    expect(Object.keys(texts)).toEqual(['train', 'sample', 'analyze', 'compare']);
    expect(texts.sample).toMatch(/^Usage: npx nx run nested:sample -- \[flags\]/);
    expect(texts.sample).toContain('--prompt TEXT');
    expect(texts.sample).toContain('(default "\\n")');
  });
});

describe('appTargetProblems', () => {
  it('finds Nx targets the app lacks and targets Nx does not offer; none when they agree', async () => {
    expect(
      await appTargetProblems(tinyNestedApp, ['test', 'lint', 'typecheck', 'train', 'sample', 'analyze', 'compare']),
    ).toEqual([]);
    expect(await appTargetProblems(tinyNestedApp, ['test', 'train', 'sample', 'compare', 'export'])).toEqual([
      'Nx offers export, which nested does not have',
      'nested has analyze, which Nx does not offer',
    ]);
  });
});
