/**
 * Small SVG charts built as strings (no DOM): a line chart with an optional right axis
 * (learning curves), a stacked bar chart (energy per phase by kind) and a spike raster.
 *
 * Every chart has a title, axes with ticks, labels and a legend where it has series, uses
 * font-family sans-serif, and sets a viewBox so it scales. Data marks carry a class
 * ("point", "bar", "spike") and a <title> tooltip; they are the only <circle> (line chart)
 * or <rect> (bar chart) elements of their chart.
 */

export { PALETTE, escapeXml, niceTicks, formatTick } from './svg-base';
export { lineChart, type LineSeries, type LineChartOptions } from './line-chart';
export { stackedBarChart, formatValue, type BarStack, type StackedBarChartOptions } from './bar-chart';
export { rasterChart, type RasterRow, type PhaseSpan, type RasterChartOptions } from './raster-chart';
