import { useEffect } from 'react';
import { useEChart } from '../../ui/use-echart.js';
import { loadECharts } from '../tracking/echarts-setup.js';

export interface BarSeries {
  name: string;
  values: Array<number | null>;
  color: string;
}

// The palette of app.css (canvas cannot read CSS variables).
export const chartColors = {
  accent: '#0e6e6a',
  success: '#12a36b',
  warning: '#e0a100',
  danger: '#d4483b',
  neutral: '#9aa3ad',
  axis: '#69727d',
  grid: '#eef0f3',
  line: '#e3e6ea',
};

/**
 * Bars per category, stacked when there are several series; horizontal for long labels (reps,
 * reasons). ECharts loads with the first chart. Described in words for screen readers (role="img").
 */
export function RoutingBarChart({
  categories,
  series,
  label,
  horizontal = false,
  format = (v: number) => String(v),
  max,
}: {
  categories: string[];
  series: BarSeries[];
  label: string;
  horizontal?: boolean;
  format?: (v: number) => string;
  max?: number;
}) {
  const { ref, chart } = useEChart(loadECharts);
  useEffect(() => {
    if (!chart) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    const cat = {
      type: 'category' as const,
      data: categories,
      inverse: horizontal,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: chartColors.line } },
      axisLabel: { color: chartColors.axis, fontSize: 11, width: 120, overflow: 'truncate' as const },
    };
    const val = {
      type: 'value' as const,
      minInterval: 1,
      ...(max !== undefined ? { max, interval: max / 4 } : { splitNumber: 4 }),
      axisLabel: { color: chartColors.axis, fontSize: 11, formatter: (v: number) => format(v) },
      splitLine: { lineStyle: { color: chartColors.grid } },
    };
    chart.setOption(
      {
        animation: !reduceMotion,
        textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
        grid: { left: 4, right: 16, top: 10, bottom: 4, containLabel: true },
        xAxis: horizontal ? val : cat,
        yAxis: horizontal ? cat : val,
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          valueFormatter: (v: unknown) => (typeof v === 'number' ? format(v) : '—'),
        },
        series: series.map((s) => ({
          type: 'bar',
          name: s.name,
          stack: series.length > 1 ? 'all' : undefined,
          data: s.values,
          barMaxWidth: 28,
          itemStyle: { color: s.color, borderRadius: series.length > 1 ? 0 : horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] },
        })),
      },
      true,
    );
  }, [chart, categories, series, horizontal, format, max]);
  const height = horizontal ? Math.max(120, categories.length * 34 + 30) : 220;
  return <div ref={ref} className="rt-chart" style={{ height }} role="img" aria-label={label} />;
}

export function ChartLegend({ series }: { series: Array<Pick<BarSeries, 'name' | 'color'>> }) {
  return (
    <ul className="rt-legend" aria-hidden="true">
      {series.map((s) => (
        <li key={s.name}>
          <span className="rt-legend-swatch" style={{ background: s.color }} />
          {s.name}
        </li>
      ))}
    </ul>
  );
}
