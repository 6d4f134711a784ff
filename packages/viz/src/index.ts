export { tokenLabel } from './token-label';
export { similarityHeatmapSpec, renderSimilarityHeatmap } from './heatmap';
export type { SimilarityHeatmapInput } from './heatmap';
export { lossCurvesSpec, renderLossCurves } from './loss-curves';
export type { LossCurvesInput, LossSeries, LossPoint, LossSplit } from './loss-curves';
export { meanStd, formatMeanStd, differenceExceedsSpread } from './spread';
export type { MeanStd } from './spread';
export { dendrogramSpec, renderDendrogram } from './dendrogram';
export type { DendrogramInput } from './dendrogram';
export { mergesToTree, layoutDendrogram } from './dendrogram-layout';
export type { DendrogramTree, DendrogramMerge, DendrogramLayout, Segment } from './dendrogram-layout';
export { dotChartSpec, renderDotChart } from './dot-chart';
export type { Dot, DotChartInput } from './dot-chart';
export { lineChartSpec, renderLineChart } from './line-chart';
export type { LinePoint, LineChartInput } from './line-chart';
export { paretoChartSpec, renderParetoChart } from './pareto-chart';
export type { ScatterPoint, ParetoChartInput } from './pareto-chart';
export { svgToPng } from './png';
export type { PngOptions } from './png';
export { writeFigure } from './figure';
export type { FigureOutput, FigureFiles } from './figure';
export { renderVegaLiteToSvg, closeRenderer } from './vega-render';
export type { VegaLiteSpec } from './vega-render';
export { renderReport, writeReport, escapeHtml } from './report';
export type { Report, ReportSection, KeyValueSection, TableSection, FiguresSection, TextSection } from './report';
// The workspace's one atomic file writer lives in @matryoshka/tokenizer; viz re-exports it.
export { writeFileAtomic } from '@matryoshka/tokenizer';
export {
  runCurvesSpec,
  renderRunCurves,
  errorBarsSpec,
  renderErrorBars,
  type RunCurve,
  type RunCurvesInput,
  type ErrorBarPoint,
  type ErrorBarsInput,
} from './run-comparison';
