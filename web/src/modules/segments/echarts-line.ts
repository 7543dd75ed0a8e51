// The line chart and the components it draws with (the core and renderer are tracking's chunk).
import { LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';

export const lineChartParts = [LineChart, GridComponent, TooltipComponent];
