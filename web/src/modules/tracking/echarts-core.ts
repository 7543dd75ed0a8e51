// ECharts' core with the canvas renderer: the larger half of the chart's code.
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([CanvasRenderer]);

export { echarts };
