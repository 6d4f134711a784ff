/**
 * Small readers over vega's SVG output, for the tests:
 * vega writes each mark as `<g class="mark-<type> role-<role> <name>">` holding one element per
 * item, with no nested groups for non-group marks.
 */

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'" };

/** Inner markup of every leaf mark group whose class list contains `className`. */
export function markGroups(svg: string, className: string): string[] {
  const groups: string[] = [];
  // The tempered body (no "<g" inside) makes outer groups fail to match instead of swallowing.
  for (const m of svg.matchAll(/<g class="([^"]*)"[^>]*>((?:(?!<g[\s>]).)*?)<\/g>/gs)) {
    if (m[1].split(/\s+/).includes(className)) groups.push(m[2]);
  }
  return groups;
}

/** Opening tags of the given element inside some markup, e.g. every `<path ...>`. */
export function elements(markup: string, tag: string): string[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b[^>]*>`, 'g'))].map((m) => m[0]);
}

/** Value of an attribute in an opening tag. */
export function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

/** Unescaped text of every `<text>` element inside some markup, in document order. */
export function texts(markup: string): string[] {
  return [...markup.matchAll(/<text\b[^>]*>(.*?)<\/text>/gs)].map((m) =>
    m[1].replace(/<[^>]+>/g, '').replace(/&(lt|gt|amp|quot|#39);/g, (e) => ENTITIES[e]),
  );
}

/** Texts of all marks with the given class, e.g. "role-axis-title". */
export function markTexts(svg: string, className: string): string[] {
  return markGroups(svg, className).flatMap(texts);
}
