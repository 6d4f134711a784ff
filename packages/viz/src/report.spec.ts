import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeHtml, Report, renderReport, writeReport } from './report';

const figureSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><text>fig &lt;1&gt;</text></svg>';

const report: Report = {
  title: 'Run <b>1</b>',
  sections: [
    { kind: 'keyValue', title: 'Config', entries: { lr: 0.0012345678, steps: 400, tied: true, '<script>': 'x' } },
    {
      kind: 'table',
      title: 'Val loss',
      columns: ['width', 'loss'],
      rows: [
        [8, 2.5],
        ['<script>alert(1)</script>', 1.25],
      ],
    },
    { kind: 'figures', title: 'Figures', figures: [{ caption: 'heat <map>', svg: figureSvg }] },
    { kind: 'text', title: 'Samples', preformatted: 'line 1\n  <script>x</script> & more' },
  ],
};

describe('renderReport', () => {
  const html = renderReport(report);

  it('has every section title and the page title, escaped', () => {
    for (const title of ['Config', 'Val loss', 'Figures', 'Samples']) expect(html).toContain(`<h2>${title}</h2>`);
    expect(html).toContain('<h1>Run &lt;b&gt;1&lt;/b&gt;</h1>');
  });

  it('escapes every <script> that came from data', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<figcaption>heat &lt;map&gt;</figcaption>');
    expect(html).toContain('<pre>line 1\n  &lt;script&gt;x&lt;/script&gt; &amp; more</pre>');
  });

  it('inlines the figure SVG and has no external src/href', () => {
    expect(html).toContain(figureSvg);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain('<style>');
  });

  it('formats numbers: integers as is, floats to 6 significant digits, right-aligned', () => {
    expect(html).toContain('<td class="num">0.00123457</td>');
    expect(html).toContain('<td class="num">400</td>');
    expect(html).toContain('<td>true</td>');
  });

  it('rejects a row of the wrong length, naming the section and row', () => {
    const bad: Report = {
      title: 't',
      sections: [{ kind: 'table', title: 'T', columns: ['a', 'b'], rows: [[1, 2], [3]] }],
    };
    expect(() => renderReport(bad)).toThrow(/section 0 \("T"\) row 1 has 1 cells, expected 2/);
  });

  it('rejects a figure that is not inert offline SVG', () => {
    const withScript = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    const remote = '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/a.png"/></svg>';
    const figures = (svg: string): Report => ({
      title: 't',
      sections: [{ kind: 'figures', title: 'F', figures: [{ caption: 'c', svg }] }],
    });
    expect(() => renderReport(figures(withScript))).toThrow(/<script>/);
    expect(() => renderReport(figures(remote))).toThrow(/external resource/);
    expect(() => renderReport(figures('<div/>'))).toThrow(/not an <svg> element/);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('writeReport', () => {
  it('writes the HTML atomically and returns it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'viz-report-'));
    try {
      const file = join(dir, 'report.html');
      const html = await writeReport(file, report);
      expect(await readFile(file, 'utf8')).toBe(html);
      expect(html).toBe(renderReport(report));
      expect(await readdir(dir)).toEqual(['report.html']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
