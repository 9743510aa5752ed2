// The dashboard's charts: Chart.js with only what they use registered (bar and line charts, their scales, legend and
// tooltip), so the rest of the library is shaken out; imported by the dashboard's chunk alone. Chart.js draws on a
// canvas and sizes it through the CSSOM, which the Content-Security-Policy allows (no style elements or attributes
// are injected). No animation: the chart is drawn at once, and people who prefer less motion get none.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

export const PALETTE = ["#0b57d0", "#a4161a", "#1e7b34", "#8a4baf", "#b35c00", "#00707a", "#5f6b7a"];

export interface Series {
  label: string;
  values: (number | null)[];
}

export interface ChartSpec {
  kind: "bar" | "line";
  labels: string[];
  series: Series[];
  stacked?: boolean;
  max?: number; // the value axis' top (a ratio: 1; a rating: 5)
  format?: (value: number) => string;
}

export function draw(canvas: HTMLCanvasElement, spec: ChartSpec): Chart {
  const config: ChartConfiguration = {
    type: spec.kind,
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s, n) => ({
        label: s.label,
        data: s.values,
        backgroundColor: PALETTE[n % PALETTE.length],
        borderColor: PALETTE[n % PALETTE.length],
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: spec.series.length > 1 } },
      scales: {
        x: { stacked: spec.stacked ?? false },
        y: {
          stacked: spec.stacked ?? false,
          beginAtZero: true,
          suggestedMax: spec.max,
          max: spec.max,
          ticks: spec.format ? { callback: (value) => spec.format!(Number(value)) } : { precision: 0 },
        },
      },
    },
  };
  return new Chart(canvas, config);
}
