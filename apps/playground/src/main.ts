// The page: load a model (the demo, or files a person drops or chooses), generate at one width or
// at all widths side by side, and show the embedding heat map and the run's curves and costs.
// Any failure is one message in the #error box; the rest of the page keeps working.
import { currentBackend } from '@matryoshka/matryoshka-layers/browser';
import { generate } from '@matryoshka/nested-transformer/browser';
import * as tf from '@tensorflow/tfjs-core';
import { chooseBackend, describeChoice } from './backend';
import { streamGeneration } from './generation';
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
  generate: $<HTMLButtonElement>('generate'),
  allWidths: $<HTMLButtonElement>('all-widths'),
  stop: $<HTMLButtonElement>('stop'),
  speed: $('speed'),
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

async function run(widths: number[]): Promise<void> {
  if (!current) return;
  clearError();
  const { model, tokenizer } = current;
  const request = {
    widths,
    prompt: ui.prompt.value,
    tokens: Math.max(1, Math.floor(Number(ui.tokens.value) || 1)),
    temperature: Number(ui.temperature.value),
    topK: Math.max(0, Math.floor(Number(ui.topK.value) || 0)),
    seed: Math.floor(Number(ui.seed.value) || 0),
    greedy: ui.greedy.checked,
  };
  if (!request.greedy && !(request.temperature > 0)) throw new Error('temperature must be a positive number (or tick greedy)');
  const columns = widths.map((m) => column(m, request.prompt));
  ui.output.replaceChildren(...columns);
  running = new AbortController();
  ui.generate.disabled = ui.allWidths.disabled = true;
  ui.stop.disabled = false;
  document.body.dataset.generating = 'yes';
  try {
    await streamGeneration(
      model,
      tokenizer,
      request,
      (progress) => {
        progress.texts.forEach((text, k) => (columns[k].querySelector('.generated')!.textContent = text));
        ui.speed.textContent = `${progress.generated} tokens, ${progress.tokensPerSecond.toFixed(1)} tokens/s${progress.done ? '' : '…'}`;
        ui.speed.dataset.tokensPerSecond = progress.tokensPerSecond.toFixed(2);
      },
      running.signal,
    );
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
  ui.backend.title = choice.trials.map((t) => `${t.name}: ${t.error ?? (t.ms !== undefined ? `${t.ms.toFixed(1)} ms` : 'chosen')}`).join('\n');
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

ui.width.addEventListener('input', updateHeatmap);
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
