import { useEffect } from 'react';
import { loadECharts } from './echarts-setup.js';
import { useEChart } from '../../ui/use-echart.js';

export interface DayCount {
  /** The local day, YYYY-MM-DD. */
  day: string;
  date: Date;
  count: number;
}

const axisDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const tooltipDay = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });

// The palette of app.css (canvas cannot read CSS variables).
const colors = { bar: '#0e6e6a', barHover: '#0b5a57', axis: '#69727d', grid: '#eef0f3', line: '#e3e6ea' };

/**
 * A bar per day. ECharts is imported when the chart first shows, so contacts without tracking never
 * load it. The canvas is described in words (role="img") for screen readers.
 */
export function EventsPerDayChart({ days, label }: { days: DayCount[]; label: string }) {
  const { ref: el, chart } = useEChart(loadECharts);

  useEffect(() => {
    if (!chart) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    chart.setOption({
      animation: !reduceMotion,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 4, right: 4, top: 10, bottom: 0, containLabel: true },
      xAxis: {
        type: 'category',
        data: days.map((d) => axisDay.format(d.date)),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.line } },
        // Today, and every seventh day before it.
        axisLabel: { color: colors.axis, fontSize: 11, interval: (i: number) => (days.length - 1 - i) % 7 === 0 },
      },
      yAxis: {
        type: 'value',
        minInterval: 1,
        splitNumber: 3,
        axisLabel: { color: colors.axis, fontSize: 11 },
        splitLine: { lineStyle: { color: colors.grid } },
      },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (params: unknown) => {
          const p = Array.isArray(params) ? (params[0] as { dataIndex?: number } | undefined) : undefined;
          const d = p?.dataIndex === undefined ? undefined : days[p.dataIndex];
          if (!d) return '';
          return `${tooltipDay.format(d.date)}<br/><b>${d.count}</b> ${d.count === 1 ? 'event' : 'events'}`;
        },
      },
      series: [
        {
          type: 'bar',
          data: days.map((d) => d.count),
          barMaxWidth: 14,
          itemStyle: { color: colors.bar, borderRadius: [3, 3, 0, 0] },
          emphasis: { itemStyle: { color: colors.barHover } },
        },
      ],
    });
  }, [chart, days]);

  return <div ref={el} className="activity-chart" role="img" aria-label={label} />;
}
