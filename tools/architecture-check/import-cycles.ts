// Import cycles among the source files of the workspace: the graph of every non-spec `.ts` file
// under packages/*/src and apps/*/src, with an edge for each relative import and each
// `@matryoshka/<pkg>` import (to packages/<pkg>/src/index.ts), and the cycles in it.
//
// Type-only imports count. `import type` is erased, so such an edge alone cannot break module
// loading, but it still ties the two files together (neither can be read, moved or tested
// without the other), it becomes a runtime edge the day the `type` is dropped, and TypeScript
// also erases plain imports that are used only as types, so "runtime" is not what the text of an
// import says anyway. A cycle of either kind fails; a printed cycle marks its type-only edges.
//
//   npx tsx tools/architecture-check/import-cycles.ts [workspace]   prints the cycles, exit 1 if any
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

export interface ImportEdge {
  /** Workspace-relative path of the imported file. */
  to: string;
  /** Every import of it in this file is type-only (`import type`, `export type`, `{ type A }`). */
  typeOnly: boolean;
}

/** Workspace-relative file -> the workspace files it imports. */
export type ImportGraph = Map<string, ImportEdge[]>;

const SOURCE_ROOTS = ['packages', 'apps'];

/** Every `.ts` file under <root>/{packages,apps}/<project>/src, except specs and declarations. */
export function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
        files.push(path);
    }
  };
  for (const top of SOURCE_ROOTS) {
    if (!existsSync(join(root, top))) continue;
    for (const project of readdirSync(join(root, top)).sort()) {
      const src = join(root, top, project, 'src');
      if (existsSync(src) && statSync(src).isDirectory()) walk(src);
    }
  }
  return files.map((file) => toPosix(relative(root, file))).sort();
}

/** The module specifiers a file loads, each with whether every load of it is type-only. */
export function importsOf(fileName: string, text: string): Map<string, boolean> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = new Map<string, boolean>();
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (specifier && ts.isStringLiteralLike(specifier))
      found.set(specifier.text, (found.get(specifier.text) ?? true) && typeOnly);
  };
  // `{ type A, type B }`: every named binding type-only (a namespace binding never is).
  const allNamedTypes = (named: ts.NamedImportBindings | ts.NamedExportBindings | undefined): boolean =>
    named !== undefined &&
    (ts.isNamedImports(named) || ts.isNamedExports(named)) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      add(
        node.moduleSpecifier,
        clause !== undefined && (clause.isTypeOnly || (!clause.name && allNamedTypes(clause.namedBindings))),
      );
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly || allNamedTypes(node.exportClause));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isRequire || node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The workspace file a specifier names, or undefined for npm packages, Node built-ins and non-`.ts` files. */
export function resolveImport(root: string, fromFile: string, specifier: string): string | undefined {
  const scoped = /^@matryoshka\/([a-z0-9-]+)$/.exec(specifier);
  const candidates: string[] = [];
  if (scoped) candidates.push(join('packages', scoped[1], 'src', 'index.ts'));
  else if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const base = join(fromFile, '..', specifier);
    candidates.push(`${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts'));
  }
  const hit = candidates.find(
    (file) => file.endsWith('.ts') && existsSync(join(root, file)) && statSync(join(root, file)).isFile(),
  );
  return hit === undefined ? undefined : toPosix(hit);
}

export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = sourceFiles(root);
  const known = new Set(files);
  for (const file of files) {
    const edges = new Map<string, boolean>();
    for (const [specifier, typeOnly] of importsOf(file, readFileSync(join(root, file), 'utf8'))) {
      const target = resolveImport(root, file, specifier);
      if (target === undefined || !known.has(target)) continue;
      edges.set(target, (edges.get(target) ?? true) && typeOnly);
    }
    graph.set(
      file,
      [...edges].map(([to, typeOnly]) => ({ to, typeOnly })).sort((a, b) => a.to.localeCompare(b.to)),
    );
  }
  return graph;
}

/**
 * One shortest cycle per strongly connected component that has one (Tarjan's algorithm, then a
 * breadth-first search from the component's first file), each as the files in import order,
 * starting and ending with the same file. Deterministic: files are visited in sorted order.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const connect = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const { to } of graph.get(file) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file)!, index.get(to)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      const selfLoop = (graph.get(file) ?? []).some((edge) => edge.to === file);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);

  return components
    .map((component) => {
      const members = new Set(component);
      const start = component[0];
      const previous = new Map<string, string>();
      const queue = [start];
      for (let head = 0; head < queue.length; head++) {
        const file = queue[head];
        for (const { to } of graph.get(file) ?? []) {
          if (!members.has(to)) continue;
          if (to === start) {
            const path = [start];
            for (let at = file; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
            return [...path, start];
          }
          if (!previous.has(to)) {
            previous.set(to, file);
            queue.push(to);
          }
        }
      }
      throw new Error(`no cycle through ${start}`); // cannot happen: the component is strongly connected
    })
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** `a.ts -> b.ts -(type)-> a.ts`: a cycle as one line, type-only edges marked. */
export function formatCycle(graph: ImportGraph, cycle: readonly string[]): string {
  let line = cycle[0];
  for (let k = 1; k < cycle.length; k++) {
    const edge = graph.get(cycle[k - 1])?.find((e) => e.to === cycle[k]);
    line += `${edge?.typeOnly ? ' -(type)-> ' : ' -> '}${cycle[k]}`;
  }
  return line;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

if (require.main === module) {
  const root = resolve(process.argv[2] ?? join(__dirname, '..', '..'));
  const graph = importGraph(root);
  const cycles = findCycles(graph);
  const edges = [...graph.values()].reduce((n, list) => n + list.length, 0);
  if (cycles.length === 0) console.log(`no import cycle among ${graph.size} source files (${edges} imports)`);
  else {
    console.log(
      `${cycles.length} import cycle${cycles.length === 1 ? '' : 's'} among ${graph.size} source files (-(type)-> marks a type-only import):`,
    );
    for (const cycle of cycles) console.log(`  ${formatCycle(graph, cycle)}`);
    process.exitCode = 1;
  }
}
