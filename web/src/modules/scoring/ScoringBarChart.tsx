import { useEffect } from 'react';
import { useEChart } from '../../ui/use-echart.js';

async function loadChart() {
  const [{ echarts }, { scoringChartParts }] = await Promise.all([import('../tracking/echarts-core.js'), import('./echarts-scoring.js')]);
  echarts.use(scoringChartParts);
  return echarts;
}

// The palette of app.css (canvas cannot read CSS variables).
const palette = ['#0e6e6a', '#b5bcc5', '#1f7ae0'];
const colors = { axis: '#69727d', grid: '#eef0f3', axisLine: '#e3e6ea', mark: '#93370d' };

export interface BarSeries {
  name: string;
  values: Array<number | null>;
}

/**
 * Grouped bars over categories (weeks, deciles, bands), with an optional reference line (lift 1 =
 * no better than chance). `label` says what the chart shows in words, for screen readers.
 */
export function ScoringBarChart({
  categories,
  series,
  label,
  reference,
  format = (n) => n.toLocaleString(),
  height = 240,
}: {
  categories: string[];
  series: BarSeries[];
  label: string;
  reference?: { value: number; name: string };
  format?: (n: number) => string;
  height?: number;
}) {
  const { ref, chart } = useEChart(loadChart);
  useEffect(() => {
    if (!chart) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    chart.setOption(
      {
        animation: !reduceMotion,
        textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
        grid: { left: 4, right: 12, top: series.length > 1 ? 32 : 12, bottom: 6, containLabel: true },
        legend: series.length > 1 ? { top: 0, left: 0, itemWidth: 12, itemHeight: 12, textStyle: { color: colors.axis } } : { show: false },
        xAxis: {
          type: 'category',
          data: categories,
          axisTick: { show: false },
          axisLine: { lineStyle: { color: colors.axisLine } },
          axisLabel: { color: colors.axis, fontSize: 11 },
        },
        yAxis: {
          type: 'value',
          minInterval: 1,
          axisLabel: { color: colors.axis, fontSize: 11, formatter: (v: number) => format(v) },
          splitLine: { lineStyle: { color: colors.grid } },
        },
        tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? format(v) : '—') },
        series: series.map((s, i) => ({
          type: 'bar',
          name: s.name,
          data: s.values,
          barMaxWidth: 36,
          itemStyle: { color: palette[i % palette.length], borderRadius: [3, 3, 0, 0] },
          ...(i === 0 &&
            reference && {
              markLine: {
                silent: true,
                symbol: 'none',
                lineStyle: { color: colors.mark, type: 'dashed' },
                label: { formatter: reference.name, color: colors.mark, position: 'insideEndTop' },
                data: [{ yAxis: reference.value }],
              },
            }),
        })),
      },
      true,
    );
  }, [chart, categories, series, reference, format]);
  return <div ref={ref} className="scoring-chart" style={{ height }} role="img" aria-label={label} />;
}
