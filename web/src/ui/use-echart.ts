import type { EChartsType } from 'echarts/core';
import { useEffect, useRef, useState, type RefObject } from 'react';

/**
 * An ECharts instance on a div: created once the chart code has loaded (each chart imports only
 * the parts it draws with), resized with its box, disposed on unmount. The chart is null until
 * then; set its options in an effect that depends on it.
 */
export function useEChart(
  load: () => Promise<{ init: (el: HTMLElement, theme?: undefined, opts?: { renderer: 'canvas' }) => EChartsType }>,
): {
  ref: RefObject<HTMLDivElement | null>;
  chart: EChartsType | null;
} {
  const ref = useRef<HTMLDivElement>(null);
  const [chart, setChart] = useState<EChartsType | null>(null);
  useEffect(() => {
    let disposed = false;
    let instance: EChartsType | null = null;
    let observer: ResizeObserver | null = null;
    void load().then((echarts) => {
      if (disposed || !ref.current) return;
      instance = echarts.init(ref.current, undefined, { renderer: 'canvas' });
      observer = new ResizeObserver(() => instance?.resize());
      observer.observe(ref.current);
      setChart(instance);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      instance?.dispose();
    };
    // The loader is a module-level function: the chart is made once per mount.
  }, []);
  return { ref, chart };
}
