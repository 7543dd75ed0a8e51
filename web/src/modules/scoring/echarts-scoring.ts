// The bar chart and the components the scoring charts draw with (the core and renderer are tracking's chunk).
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';

export const scoringChartParts = [BarChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent];
