// A key owner's own view: GET /v1/key (the key, its limits and budget), ?view=usage, ?view=batches. The server answers
// only for the session's own key.
import { api } from '../api.js';
import { el, table, fmt, section, text } from '../dom.js';
import { dailyCharts, usageColumns } from './usage.js';
import { batchColumns } from './infra.js';

export async function ownerPage(root) {
  const key = await api('/v1/key');
  const limits = key.limits || {};
  const facts = [
    ['Key', key.id], ['Name', key.name], ['Secret ends in', key.hint], ['Created', fmt.time(key.created_at)],
    ['Policy', text(key.policy)], ['Requests per minute', limits.rpm ?? 'unlimited'],
    ['Tokens per minute', limits.tpm ?? 'unlimited'], ['Concurrent requests', limits.max_concurrent ?? 'unlimited'],
    ['Request log', key.request_log ? key.request_log.mode + ', kept ' + key.request_log.retention_days + ' days' : '—'],
  ];
  root.appendChild(section('This key', el('dl', { class: 'facts', id: 'owner-facts' },
    facts.map(([k, v]) => [el('dt', { text: k }), el('dd', { text: text(v) })]))));
  const budget = key.budget;
  root.appendChild(section('Budget', budget
    ? el('div', { id: 'owner-budget' },
      el('p', { text: fmt.usd(budget.spent_usd) + ' spent of ' + fmt.usd(budget.budget_usd) + ' this ' + budget.period
        + '; ' + fmt.usd(budget.remaining_usd) + ' left, renews ' + budget.renews_on + ' (UTC).' }),
      el('progress', { max: String(budget.budget_usd || 1), value: String(Math.min(budget.spent_usd, budget.budget_usd)) }))
    : el('p', { id: 'owner-budget', text: 'No budget: this key may spend without limit.' })));
  const usage = el('div', { id: 'owner-usage' });
  root.appendChild(usage);
  const fetchUsage = groupBy => api('/v1/key', { query: { view: 'usage', group_by: groupBy } });
  await dailyCharts(usage, fetchUsage);
  const byModel = await fetchUsage('model');
  usage.appendChild(section('By model', table(usageColumns('Model'), byModel.groups, { id: 'owner-by-model' })));
  const batches = await api('/v1/key', { query: { view: 'batches' } });
  root.appendChild(section('Batches', table(batchColumns(false), batches.data, { id: 'owner-batches' })));
}
