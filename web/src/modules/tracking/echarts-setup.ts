/**
 * Only the parts of ECharts the activity chart uses, loaded when a chart first shows. The core and
 * the bar chart are two chunks fetched side by side (one would pass Vite's 500 kB chunk warning).
 */
export async function loadECharts() {
  const [{ echarts }, { barChartParts }] = await Promise.all([import('./echarts-core.js'), import('./echarts-bar.js')]);
  echarts.use(barChartParts);
  return echarts;
}
