// The operator's usage: charts by day, tables by model, route, privacy mode and key; from GET /v1/admin/usage.
import { api } from '../api.js';
import { el, table, fmt, section, field } from '../dom.js';
import { seriesChart, shareChart, destroyCharts } from '../charts.js';

export const usageColumns = groupLabel => [
  { label: groupLabel, value: r => r.group },
  { label: 'Requests', value: r => fmt.int(r.requests), numeric: true },
  { label: 'Errors', value: r => fmt.int(r.errors), numeric: true },
  { label: 'Error rate', value: r => fmt.pct(r.error_rate), numeric: true },
  { label: 'Prompt tokens', value: r => fmt.int(r.prompt_tokens), numeric: true },
  { label: 'Completion tokens', value: r => fmt.int(r.completion_tokens), numeric: true },
  { label: 'Cost', value: r => fmt.usd(r.cost_usd), numeric: true },
  { label: 'Latency p50', value: r => fmt.ms(r.latency_ms && r.latency_ms.p50), numeric: true },
  { label: 'p95', value: r => fmt.ms(r.latency_ms && r.latency_ms.p95), numeric: true },
  { label: 'p99', value: r => fmt.ms(r.latency_ms && r.latency_ms.p99), numeric: true },
  { label: 'TTFT p50', value: r => fmt.ms(r.ttft_ms && r.ttft_ms.p50), numeric: true },
  { label: 'TTFT p95', value: r => fmt.ms(r.ttft_ms && r.ttft_ms.p95), numeric: true },
];

function canvasBox(id) {
  return el('div', { class: 'chart-box' }, el('canvas', { id, role: 'img', 'aria-label': id }));
}

/** Charts of usage by day into `host`; `fetchUsage(groupBy)` loads a summary. */
export async function dailyCharts(host, fetchUsage) {
  const byDay = await fetchUsage('day');
  const days = byDay.groups.map(g => g.group);
  host.appendChild(el('div', { class: 'stats', id: 'usage-totals' },
    stat('Requests', fmt.int(byDay.totals.requests)), stat('Error rate', fmt.pct(byDay.totals.error_rate)),
    stat('Tokens', fmt.int(byDay.totals.total_tokens)), stat('Cost', fmt.usd(byDay.totals.cost_usd)),
    stat('Latency p95', fmt.ms(byDay.totals.latency_ms && byDay.totals.latency_ms.p95)),
    stat('TTFT p95', fmt.ms(byDay.totals.ttft_ms && byDay.totals.ttft_ms.p95))));
  const grid = el('div', { class: 'grid' });
  host.appendChild(grid);
  const requests = canvasBox('chart-requests');
  const tokens = canvasBox('chart-tokens');
  const cost = canvasBox('chart-cost');
  const latency = canvasBox('chart-latency');
  grid.append(section('Requests per day', requests), section('Tokens per day', tokens),
    section('Cost per day (USD)', cost), section('Latency per day (ms)', latency));
  seriesChart(requests.firstChild, 'bar', days, [
    { label: 'succeeded', data: byDay.groups.map(g => g.requests - g.errors), stack: 'r' },
    { label: 'errors', data: byDay.groups.map(g => g.errors), stack: 'r' }], { stacked: true });
  seriesChart(tokens.firstChild, 'bar', days, [
    { label: 'prompt', data: byDay.groups.map(g => g.prompt_tokens), stack: 't' },
    { label: 'completion', data: byDay.groups.map(g => g.completion_tokens), stack: 't' }], { stacked: true });
  seriesChart(cost.firstChild, 'bar', days, [{ label: 'cost', data: byDay.groups.map(g => g.cost_usd) }],
    { yFormat: fmt.usd });
  seriesChart(latency.firstChild, 'line', days, [
    { label: 'p50', data: byDay.groups.map(g => g.latency_ms ? g.latency_ms.p50 : null) },
    { label: 'p95', data: byDay.groups.map(g => g.latency_ms ? g.latency_ms.p95 : null) },
    { label: 'TTFT p50', data: byDay.groups.map(g => g.ttft_ms ? g.ttft_ms.p50 : null) }]);
  host.appendChild(section('By day', table(usageColumns('Day'), byDay.groups, { id: 'usage-by-day' })));
  return byDay;
}

function stat(label, value) {
  return el('div', { class: 'stat' }, el('span', { class: 'stat-value', text: value }), el('span', { text: label }));
}

export async function usagePage(root) {
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  const start = el('input', { type: 'date', id: 'usage-start', value: monthAgo });
  const end = el('input', { type: 'date', id: 'usage-end', value: today });
  const key = el('input', { type: 'text', id: 'usage-key', placeholder: 'all keys', maxLength: 64 });
  const body = el('div', { id: 'usage-body' });
  const form = el('form', { class: 'filters', id: 'usage-filters' },
    field('From', start), field('To', end), field('Key id', key), el('button', { type: 'submit', text: 'Show' }));
  root.append(form, body);
  const load = async () => {
    destroyCharts();
    body.replaceChildren();
    const fetchUsage = groupBy => api('/v1/admin/usage', {
      query: { group_by: groupBy, start_date: start.value, end_date: end.value, key: key.value.trim() } });
    await dailyCharts(body, fetchUsage);
    const byModel = await fetchUsage('model');
    const shares = el('div', { class: 'chart-box small' }, el('canvas', { id: 'chart-models' }));
    body.appendChild(section('By model', shares, table(usageColumns('Model'), byModel.groups, { id: 'usage-by-model' })));
    shareChart(shares.firstChild, byModel.groups.map(g => g.group), byModel.groups.map(g => g.requests));
    for (const [by, label] of [['route', 'Route'], ['mode', 'Privacy mode'], ['key', 'Key']]) {
      const summary = await fetchUsage(by);
      body.appendChild(section('By ' + label.toLowerCase(), table(usageColumns(label), summary.groups,
        { id: 'usage-by-' + by })));
    }
    body.appendChild(el('p', { class: 'note', text: 'Latency and time-to-first-token percentiles come from the request '
      + 'log (within about 1 %); keys whose request log keeps only daily totals count in requests, tokens and cost.' }));
  };
  form.addEventListener('submit', event => {
    event.preventDefault();
    load().catch(e => body.appendChild(el('p', { class: 'error', role: 'alert', text: e.message })));
  });
  await load();
}
