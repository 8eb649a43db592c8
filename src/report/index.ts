// The HTML run report and its SVG charts.
export { renderReport, formatBytes } from './html';
export type { ReportData, ReportRun, ReportEpoch } from './html';
export { lineChart, stackedBars, escapeXml, ticks } from './svg';
