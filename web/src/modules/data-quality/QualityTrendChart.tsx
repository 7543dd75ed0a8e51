import { useEffect } from 'react';
import { useEChart } from '../../ui/use-echart.js';
import type { QualitySnapshot } from './quality-queries.js';

/** The line chart's parts (shared with the segment size chart), loaded when the chart first shows. */
async function loadLineChart() {
  const [{ echarts }, { lineChartParts }] = await Promise.all([
    import('../tracking/echarts-core.js'),
    import('../segments/echarts-line.js'),
  ]);
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
 * The workspace's quality score per day (one snapshot a day), 0-100 on a fixed axis so a small
 * change does not look like a cliff. Described in words for screen readers (role="img").
 */
export function QualityTrendChart({ points, days }: { points: QualitySnapshot[]; days: number }) {
  const { ref, chart } = useEChart(loadLineChart);

  useEffect(() => {
    if (!chart) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    chart.setOption({
      animation: !reduceMotion,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 4, right: 12, top: 12, bottom: 6, containLabel: true },
      xAxis: {
        type: 'category',
        boundaryGap: points.length === 1,
        data: points.map((p) => axisDay.format(dayDate(p.day))),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.axisLine } },
        axisLabel: { color: colors.axis, fontSize: 11, hideOverlap: true },
      },
      yAxis: {
        type: 'value',
        min: 0,
        max: 100,
        interval: 25,
        axisLabel: { color: colors.axis, fontSize: 11 },
        splitLine: { lineStyle: { color: colors.grid } },
      },
      tooltip: {
        trigger: 'axis',
        formatter: (params: unknown) => {
          const p = Array.isArray(params) ? (params[0] as { dataIndex?: number } | undefined) : undefined;
          const d = p?.dataIndex === undefined ? undefined : points[p.dataIndex];
          if (!d) return '';
          const score = d.score === null ? 'no contacts' : `score <b>${d.score}</b>`;
          return `${tooltipDay.format(dayDate(d.day))}<br/>${score} · ${d.contacts.toLocaleString()} contacts`;
        },
      },
      series: [
        {
          type: 'line',
          data: points.map((p) => p.score),
          connectNulls: false,
          showSymbol: points.length <= 31,
          symbolSize: 7,
          lineStyle: { color: colors.line, width: 2 },
          itemStyle: { color: colors.line },
          areaStyle: { color: colors.area },
        },
      ],
    });
  }, [chart, points]);

  return <div ref={ref} className="dq-chart" role="img" aria-label={describeTrend(points, days)} />;
}

export function describeTrend(points: QualitySnapshot[], days: number): string {
  const scored = points.filter((p) => p.score !== null);
  const first = scored[0];
  const last = scored[scored.length - 1];
  if (!first || !last) return `Quality score over the last ${days} days: no snapshots yet`;
  if (first === last) return `Quality score over the last ${days} days: ${last.score} on ${last.day}, the only snapshot`;
  return `Quality score over the last ${days} days: ${first.score} on ${first.day}, ${last.score} on ${last.day}`;
}
