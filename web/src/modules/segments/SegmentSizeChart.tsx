import { useEffect } from 'react';
import type { SizePoint } from './segments-queries.js';
import { useEChart } from '../../ui/use-echart.js';

/** Only the parts of ECharts a line needs, loaded when the chart first shows (as the activity chart does). */
async function loadLineChart() {
  const [{ echarts }, { lineChartParts }] = await Promise.all([import('../tracking/echarts-core.js'), import('./echarts-line.js')]);
  echarts.use(lineChartParts);
  return echarts;
}

const axisDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const tooltipDay = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  timeZone: 'UTC',
});

// The palette of app.css (canvas cannot read CSS variables).
const colors = { line: '#0e6e6a', area: 'rgba(14, 110, 106, 0.12)', axis: '#69727d', grid: '#eef0f3', axisLine: '#e3e6ea' };

const dayDate = (day: string) => new Date(`${day}T00:00:00Z`);

/**
 * A segment's size per day as a line over a filled area. The canvas is described in words
 * (role="img") for screen readers: the first and the last size, and the range.
 */
export function SegmentSizeChart({ points, days }: { points: SizePoint[]; days: number }) {
  const { ref: el, chart } = useEChart(loadLineChart);

  useEffect(() => {
    if (!chart) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    const single = points.length === 1;
    chart.setOption({
      animation: !reduceMotion,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 4, right: 12, top: 12, bottom: 6, containLabel: true },
      xAxis: {
        type: 'category',
        boundaryGap: single,
        data: points.map((p) => axisDay.format(dayDate(p.day))),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.axisLine } },
        axisLabel: { color: colors.axis, fontSize: 11, hideOverlap: true },
      },
      yAxis: {
        type: 'value',
        minInterval: 1,
        splitNumber: 4,
        axisLabel: { color: colors.axis, fontSize: 11 },
        splitLine: { lineStyle: { color: colors.grid } },
      },
      tooltip: {
        trigger: 'axis',
        formatter: (params: unknown) => {
          const p = Array.isArray(params) ? (params[0] as { dataIndex?: number } | undefined) : undefined;
          const d = p?.dataIndex === undefined ? undefined : points[p.dataIndex];
          if (!d) return '';
          return `${tooltipDay.format(dayDate(d.day))}<br/><b>${d.size.toLocaleString()}</b> ${d.size === 1 ? 'contact' : 'contacts'}`;
        },
      },
      series: [
        {
          type: 'line',
          data: points.map((p) => p.size),
          smooth: false,
          showSymbol: points.length <= 31,
          symbolSize: 6,
          lineStyle: { color: colors.line, width: 2 },
          itemStyle: { color: colors.line },
          areaStyle: { color: colors.area },
        },
      ],
    });
  }, [chart, points]);

  return <div ref={el} className="seg-chart" role="img" aria-label={describe(points, days)} />;
}

export function describe(points: SizePoint[], days: number): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return `Segment size over the last ${days} days: no data yet`;
  const sizes = points.map((p) => p.size);
  const range = `between ${Math.min(...sizes).toLocaleString()} and ${Math.max(...sizes).toLocaleString()}`;
  return `Segment size over the last ${days} days: ${first.size.toLocaleString()} on ${first.day}, ${last.size.toLocaleString()} on ${last.day}, ${range}`;
}
