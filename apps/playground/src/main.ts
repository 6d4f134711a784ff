// The page: load a model (the demo, or files a person drops or chooses), generate at one width
// (with a draft width: by speculative decoding, each token styled by how it was made) or at all
// widths side by side, and show the embedding heat map and the run's curves and costs.
// Any failure is one message in the #error box; the rest of the page keeps working.
import { currentBackend } from '@matryoshka/matryoshka-layers/browser';
import { generate } from '@matryoshka/nested-transformer/browser';
import * as tf from '@tensorflow/tfjs-core';
import { chooseBackend, describeChoice } from './backend';
import { streamGeneration, streamSpeculative, type SpeculativePiece } from './generation';
import { Heatmap, similarityAtWidth, type PrefixMode } from './heatmap';
import { fetchDemoFiles, loadModel, readChosenFiles, type LoadedModel, type ModelFiles } from './model-source';
import { costTable, lossCurves } from './run-view';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  backend: $('backend'),
  info: $('model-info'),
  error: $('error'),
  file: $<HTMLInputElement>('file'),
  demo: $<HTMLButtonElement>('demo'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  width: $<HTMLInputElement>('width'),
  widthLabel: $<HTMLOutputElement>('width-label'),
  tokens: $<HTMLInputElement>('tokens'),
  temperature: $<HTMLInputElement>('temperature'),
  topK: $<HTMLInputElement>('top-k'),
  seed: $<HTMLInputElement>('seed'),
  greedy: $<HTMLInputElement>('greedy'),
  draftWidth: $<HTMLSelectElement>('draft-width'),
  draftTokens: $<HTMLInputElement>('draft-tokens'),
  generate: $<HTMLButtonElement>('generate'),
  allWidths: $<HTMLButtonElement>('all-widths'),
  stop: $<HTMLButtonElement>('stop'),
  speed: $('speed'),
  acceptance: $('acceptance'),
  legend: $('legend'),
  output: $('output'),
  lookWidth: $('look-width'),
  prefixMode: $<HTMLSelectElement>('prefix-mode'),
  run: $('run'),
  curves: $('loss-curves'),
  costs: $<HTMLTableElement>('costs'),
};
const heatmap = new Heatmap($<HTMLCanvasElement>('heatmap'), $('tooltip'));
let current: LoadedModel | null = null;
let running: AbortController | null = null;

function showError(error: unknown): void {
  ui.error.textContent = error instanceof Error ? error.message : String(error);
  ui.error.hidden = false;
}
const clearError = () => {
  ui.error.hidden = true;
  ui.error.textContent = '';
};

const selectedWidth = (): number => (current ? current.model.widths[Number(ui.width.value)] : 0);

function updateHeatmap(): void {
  if (!current) return;
  const m = selectedWidth();
  ui.widthLabel.textContent = String(m);
  ui.lookWidth.textContent = String(m);
  heatmap.show(similarityAtWidth(current.model, m, ui.prefixMode.value as PrefixMode), current.tokenizer.vocabulary);
}

/**
 * The draft widths on offer: none, and each width below the chosen one (the choice kept while it
 * stays below). A model nested by its embedding only runs the full trunk at every width, so a
 * draft would cost as much as the verifier: none only, and the library would refuse it anyway.
 */
function updateDraftChoices(): void {
  const m = selectedWidth();
  const below =
    current && current.model.config.nesting !== 'embedding' ? current.model.widths.filter((w) => w < m) : [];
  const kept = below.includes(Number(ui.draftWidth.value)) ? ui.draftWidth.value : '';
  ui.draftWidth.replaceChildren(new Option('none', ''), ...below.map((w) => new Option(String(w), String(w))));
  ui.draftWidth.value = kept;
  ui.draftWidth.disabled = below.length === 0;
  ui.draftTokens.disabled = kept === '';
}

function setModel(loaded: LoadedModel): void {
  running?.abort();
  current?.model.dispose();
  current = loaded;
  const { model } = loaded;
  const { nesting, layers, heads, contextLength } = model.config;
  ui.info.textContent =
    `${loaded.name}: widths ${model.widths.join(' / ')}, ${layers} layer${layers === 1 ? '' : 's'}, ${heads} head${heads === 1 ? '' : 's'}, context ${contextLength}, ` +
    `nesting ${nesting}, ${model.parameterCount().toLocaleString('en')} parameters${loaded.step !== undefined ? `, step ${loaded.step}` : ''}`;
  ui.width.max = String(model.widths.length - 1);
  ui.width.value = String(model.widths.length - 1);
  ui.output.replaceChildren();
  ui.speed.textContent = '';
  ui.acceptance.hidden = ui.legend.hidden = true;
  updateDraftChoices();
  ui.generate.disabled = ui.allWidths.disabled = false;
  ui.run.hidden = loaded.metrics.length === 0;
  if (loaded.metrics.length > 0) {
    ui.curves.replaceChildren(lossCurves(loaded.metrics, model.widths));
    costTable(ui.costs, model, loaded.metrics);
  }
  updateHeatmap();
  document.body.dataset.model = 'ready';
}

function column(width: number, prompt: string): HTMLElement {
  const box = document.createElement('div');
  box.className = 'column';
  box.dataset.width = String(width);
  const title = document.createElement('h3');
  title.textContent = `width ${width}`;
  const pre = document.createElement('pre');
  const shownPrompt = Object.assign(document.createElement('span'), { className: 'prompt', textContent: prompt });
  shownPrompt.style.color = '#888';
  pre.append(shownPrompt, Object.assign(document.createElement('span'), { className: 'generated' }));
  box.append(title, pre);
  return box;
}

const KIND_CLASS: Record<SpeculativePiece['kind'], string> = {
  accepted: 'tok-accepted',
  correction: 'tok-correction',
  bonus: 'tok-verifier',
  plain: 'tok-verifier',
};

/** Appends the pieces not yet shown to `target`, a run of tokens of one kind in one span. */
function appendPieces(target: HTMLElement, pieces: readonly SpeculativePiece[], from: number): void {
  for (const piece of pieces.slice(from)) {
    const last = target.lastElementChild as HTMLElement | null;
    if (last?.dataset.kind === piece.kind) {
      last.textContent += piece.text;
      continue;
    }
    const span = Object.assign(document.createElement('span'), {
      className: `tok ${KIND_CLASS[piece.kind]}`,
      textContent: piece.text,
    });
    span.dataset.kind = piece.kind;
    target.append(span);
  }
}

function showSpeed(generated: number, tokensPerSecond: number, done: boolean): void {
  ui.speed.textContent = `${generated} tokens, ${tokensPerSecond.toFixed(1)} tokens/s${done ? '' : '…'}`;
  ui.speed.dataset.tokensPerSecond = tokensPerSecond.toFixed(2);
}

/** Generate at `widths`; with a draft width chosen and one width, by speculative decoding. */
async function run(widths: number[]): Promise<void> {
  if (!current) return;
  clearError();
  const { model, tokenizer } = current;
  const draftWidth = widths.length === 1 && ui.draftWidth.value !== '' ? Number(ui.draftWidth.value) : undefined;
  const request = {
    widths,
    prompt: ui.prompt.value,
    tokens: Math.max(1, Math.floor(Number(ui.tokens.value) || 1)),
    temperature: Number(ui.temperature.value),
    topK: Math.max(0, Math.floor(Number(ui.topK.value) || 0)),
    seed: Math.floor(Number(ui.seed.value) || 0),
    greedy: ui.greedy.checked,
  };
  if (!request.greedy && !(request.temperature > 0))
    throw new Error('temperature must be a positive number (or tick greedy)');
  const draftTokens = Math.floor(Number(ui.draftTokens.value));
  if (draftWidth !== undefined && !(draftTokens >= 1))
    throw new Error('k (tokens drafted per round) must be a whole number of at least 1');
  const columns = widths.map((m) => column(m, request.prompt));
  ui.output.replaceChildren(...columns);
  ui.legend.hidden = ui.acceptance.hidden = draftWidth === undefined;
  running = new AbortController();
  ui.generate.disabled = ui.allWidths.disabled = true;
  ui.stop.disabled = false;
  document.body.dataset.generating = 'yes';
  try {
    if (draftWidth !== undefined) {
      const target = columns[0].querySelector<HTMLElement>('.generated')!;
      columns[0].querySelector('h3')!.textContent =
        `width ${widths[0]}, drafted by width ${draftWidth} (k = ${draftTokens})`;
      let shown = 0;
      await streamSpeculative(
        model,
        tokenizer,
        { ...request, width: widths[0], draftWidth, draftTokens },
        (progress) => {
          appendPieces(target, progress.pieces, shown);
          shown = progress.pieces.length;
          showSpeed(progress.pieces.length, progress.tokensPerSecond, progress.done);
          const rate = Number.isNaN(progress.acceptanceRate) ? 'n/a' : progress.acceptanceRate.toFixed(2);
          ui.acceptance.textContent = `acceptance rate ${rate}: ${progress.accepted} of ${progress.tested} tested drafts accepted`;
          ui.acceptance.dataset.acceptanceRate = String(progress.acceptanceRate);
        },
        running.signal,
      );
    } else {
      await streamGeneration(
        model,
        tokenizer,
        request,
        (progress) => {
          progress.texts.forEach((text, k) => (columns[k].querySelector('.generated')!.textContent = text));
          showSpeed(progress.generated, progress.tokensPerSecond, progress.done);
        },
        running.signal,
      );
    }
  } finally {
    running = null;
    ui.generate.disabled = ui.allWidths.disabled = current === null;
    ui.stop.disabled = true;
    document.body.dataset.generating = 'no';
  }
}

async function loadFiles(files: () => Promise<ModelFiles>): Promise<void> {
  clearError();
  document.body.dataset.model = 'loading';
  try {
    setModel(loadModel(await files()));
  } catch (error) {
    showError(error);
    document.body.dataset.model = current ? 'ready' : 'error';
  }
}

async function start(): Promise<void> {
  let demo: ModelFiles | null = null;
  try {
    demo = await fetchDemoFiles();
  } catch (error) {
    showError(error);
  }
  // Each backend is timed on a few greedy tokens of the demo model; the winner keeps its copy.
  const trialModels = new Map<string, LoadedModel>();
  const trial = demo
    ? () => {
        const name = currentBackend();
        if (!trialModels.has(name)) trialModels.set(name, loadModel(demo));
        const { model } = trialModels.get(name)!;
        generate(model, [0], { width: model.widths[0], maxNewTokens: 16, greedy: true, seed: 0 });
      }
    : () => undefined;
  const choice = await chooseBackend(trial);
  ui.backend.textContent = describeChoice(choice);
  ui.backend.title = choice.trials
    .map((t) => `${t.name}: ${t.error ?? (t.ms !== undefined ? `${t.ms.toFixed(1)} ms` : 'chosen')}`)
    .join('\n');
  document.body.dataset.backend = choice.backend;
  // The losers' copies and the backends themselves (a WebGL context, GPU memory) are freed.
  for (const [name, loaded] of trialModels) {
    if (name === choice.backend) continue;
    loaded.model.dispose();
    tf.removeBackend(name);
  }
  const ready = trialModels.get(choice.backend);
  if (ready) setModel(ready);
  else if (demo) await loadFiles(async () => demo);
  else document.body.dataset.model = 'error';
  ui.demo.onclick = () => (demo ? loadFiles(async () => demo) : showError('the demo model is not available'));
}

ui.width.addEventListener('input', () => {
  updateHeatmap();
  updateDraftChoices();
});
ui.draftWidth.addEventListener('change', updateDraftChoices);
ui.prefixMode.addEventListener('change', updateHeatmap);
ui.generate.addEventListener('click', () => run([selectedWidth()]).catch(showError));
ui.allWidths.addEventListener('click', () => run(current ? [...current.model.widths] : []).catch(showError));
ui.stop.addEventListener('click', () => running?.abort());
ui.file.addEventListener('change', () => {
  const files = [...(ui.file.files ?? [])];
  ui.file.value = '';
  if (files.length > 0) void loadFiles(() => readChosenFiles(files));
});
window.addEventListener('dragover', (event) => {
  event.preventDefault();
  document.body.classList.add('dragging');
});
window.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
window.addEventListener('drop', (event) => {
  event.preventDefault();
  document.body.classList.remove('dragging');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length > 0) void loadFiles(() => readChosenFiles(files));
});
window.addEventListener('error', (event) => showError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showError(event.reason));
start().catch((error) => {
  showError(error);
  document.body.dataset.model = 'error';
});
