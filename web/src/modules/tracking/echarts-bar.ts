// The bar chart and the components it draws with.
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';

export const barChartParts = [BarChart, GridComponent, TooltipComponent];
