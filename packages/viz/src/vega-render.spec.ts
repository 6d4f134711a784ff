import { closeRenderer, renderVegaLiteToSvg } from './vega-render';
import { markTexts } from './svg-inspect.test-helper';

afterAll(() => closeRenderer());

describe('renderVegaLiteToSvg', () => {
  it('renders a spec and keeps working after closeRenderer', async () => {
    const spec = {
      title: 'first',
      data: { values: [{ a: 1 }] },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative' } },
    };
    expect(markTexts(await renderVegaLiteToSvg(spec), 'role-title-text')).toEqual(['first']);
    await closeRenderer();
    expect(markTexts(await renderVegaLiteToSvg({ ...spec, title: 'second' }), 'role-title-text')).toEqual(['second']);
  });

  it('renders concurrent requests to their own callers', async () => {
    const titles = ['one', 'two', 'three'];
    const svgs = await Promise.all(
      titles.map((title) => renderVegaLiteToSvg({ title, data: { values: [] }, mark: 'point' })),
    );
    expect(svgs.map((s) => markTexts(s, 'role-title-text')[0])).toEqual(titles);
  });

  it("rejects an invalid spec with vega's message", async () => {
    const spec = { data: { values: [{ a: 1 }] }, transform: [{ filter: 'datum.a >' }], mark: 'point' };
    await expect(renderVegaLiteToSvg(spec)).rejects.toThrow(/vega rendering failed: Unexpected end of input/);
  });
});
