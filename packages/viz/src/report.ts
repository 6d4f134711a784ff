import { writeFileAtomic } from '@matryoshka/tokenizer';

export interface KeyValueSection {
  kind: 'keyValue';
  title: string;
  entries: Record<string, string | number | boolean>;
}

export interface TableSection {
  kind: 'table';
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface FiguresSection {
  kind: 'figures';
  title: string;
  /** `svg` is inlined as markup (it is our own renderer's output), the caption is escaped. */
  figures: { caption: string; svg: string }[];
}

export interface TextSection {
  kind: 'text';
  title: string;
  /** Shown verbatim in a <pre> block (escaped), e.g. generated samples. */
  preformatted: string;
}

export type ReportSection = KeyValueSection | TableSection | FiguresSection | TextSection;

export interface Report {
  title: string;
  sections: ReportSection[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function formatValue(value: string | number | boolean): string {
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
    return String(Number(value.toPrecision(6))); // enough digits for losses, no float noise
  }
  return String(value);
}

function cell(tag: 'td' | 'th', value: string | number | boolean): string {
  const cls = typeof value === 'number' ? ' class="num"' : '';
  return `<${tag}${cls}>${escapeHtml(formatValue(value))}</${tag}>`;
}

// Inline SVG must stay offline and inert: no scripts and no remote resources.
function checkedSvg(svg: string, where: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*>\s*/, '');
  if (!/^<svg[\s>]/.test(body)) throw new Error(`renderReport: ${where} is not an <svg> element`);
  if (/<script/i.test(body)) throw new Error(`renderReport: ${where} contains a <script> element`);
  if (/\b(?:href|src)\s*=\s*["']?\s*(?:https?:)?\/\//i.test(body)) {
    throw new Error(`renderReport: ${where} links to an external resource`);
  }
  return body;
}

function sectionBody(section: ReportSection, where: string): string {
  switch (section.kind) {
    case 'keyValue':
      return `<table class="kv"><tbody>${Object.entries(section.entries)
        .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th>${cell('td', value)}</tr>`)
        .join('')}</tbody></table>`;
    case 'table': {
      const width = section.columns.length;
      const rows = section.rows.map((row, r) => {
        if (row.length !== width) {
          throw new Error(
            `renderReport: ${where} row ${r} has ${row.length} cells, expected ${width} (one per column)`,
          );
        }
        return `<tr>${row.map((v) => cell('td', v)).join('')}</tr>`;
      });
      const head = section.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
      return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
    }
    case 'figures':
      return `<div class="figures">${section.figures
        .map(
          (f, i) =>
            `<figure>${checkedSvg(f.svg, `${where} figure ${i} (${JSON.stringify(f.caption)})`)}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`,
        )
        .join('')}</div>`;
    case 'text':
      return `<pre>${escapeHtml(section.preformatted)}</pre>`;
    default:
      throw new Error(`renderReport: ${where} has unknown kind ${JSON.stringify((section as { kind: unknown }).kind)}`);
  }
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
thead th, table.kv th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 1.5rem; } figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #555; margin-top: .3rem; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
`;

/** A self-contained HTML page: inline CSS, inline SVG figures, no external URLs. */
export function renderReport(report: Report): string {
  if (typeof report.title !== 'string' || report.title === '')
    throw new Error('renderReport: title must be a non-empty string');
  if (!Array.isArray(report.sections)) throw new Error('renderReport: sections must be an array');
  const sections = report.sections.map((section, i) => {
    const where = `section ${i} (${JSON.stringify(section.title)})`;
    if (typeof section.title !== 'string') throw new Error(`renderReport: section ${i} has no title`);
    return `<section><h2>${escapeHtml(section.title)}</h2>${sectionBody(section, where)}</section>`;
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(report.title)}</h1>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}

/** Render the report (or take ready HTML) and write it atomically; returns the HTML. */
export async function writeReport(file: string, report: Report | string): Promise<string> {
  const html = typeof report === 'string' ? report : renderReport(report);
  writeFileAtomic(file, html);
  return html;
}
