// Charts with the vendored Chart.js (window.Chart, loaded by index.html). No animation: the page shows the data at
// once, and screenshots are deterministic.
const live = new Set();

const palette = ['#3b6fd8', '#d8573b', '#2e9d6a', '#9b59b6', '#c8a000', '#17a2b8', '#7f8c8d', '#e83e8c'];

export function destroyCharts() {
  for (const c of live) c.destroy();
  live.clear();
}

function chart(canvas, config) {
  if (!window.Chart) throw new Error('Chart.js did not load');
  config.options = Object.assign({
    animation: false, responsive: true, maintainAspectRatio: false,
    plugins: { legend: { position: 'bottom' } },
  }, config.options || {});
  const c = new window.Chart(canvas, config);
  live.add(c);
  return c;
}

/** A bar or line chart of series over labels: series = [{label, data, type?, stack?}]. */
export function seriesChart(canvas, kind, labels, series, { stacked = false, yTitle, yFormat } = {}) {
  return chart(canvas, {
    type: kind,
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label, data: s.data, type: s.type, stack: s.stack,
        backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length],
        spanGaps: true, tension: 0.2,
      })),
    },
    options: {
      scales: {
        x: { stacked },
        y: { stacked, beginAtZero: true, title: yTitle ? { display: true, text: yTitle } : undefined,
          ticks: yFormat ? { callback: v => yFormat(v) } : undefined },
      },
    },
  });
}

/** A doughnut of shares. */
export function shareChart(canvas, labels, values) {
  return chart(canvas, {
    type: 'doughnut',
    data: { labels, datasets: [{ data: values, backgroundColor: labels.map((_, i) => palette[i % palette.length]) }] },
  });
}
