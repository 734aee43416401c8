// The request metadata log, filtered and paged: GET /v1/admin/requests.
import { api } from '../api.js';
import { el, table, fmt, section, field, errorBox } from '../dom.js';

const columns = [
  { label: 'Time (UTC)', value: r => fmt.time(r.created_at) },
  { label: 'Request id', value: r => r.request_id },
  { label: 'Key', value: r => r.key_id },
  { label: 'Endpoint', value: r => r.endpoint },
  { label: 'Model', value: r => r.model },
  { label: 'Route', value: r => r.route },
  { label: 'Mode', value: r => r.mode },
  { label: 'Status', value: r => r.status, numeric: true },
  { label: 'Latency', value: r => fmt.ms(r.latency_ms), numeric: true },
  { label: 'TTFT', value: r => fmt.ms(r.ttft_ms), numeric: true },
  { label: 'Tokens', value: r => fmt.int(r.total_tokens) + (r.usage_estimated ? ' (est.)' : ''), numeric: true },
  { label: 'Cost', value: r => fmt.usd(r.cost_usd), numeric: true },
];

export async function requestsPage(root) {
  const inputs = {
    key: el('input', { id: 'req-key', placeholder: 'key id', maxLength: 64 }),
    model: el('input', { id: 'req-model', placeholder: 'model', maxLength: 256 }),
    route: el('input', { id: 'req-route', placeholder: 'route', maxLength: 256 }),
    status: el('input', { id: 'req-status', placeholder: '200, 4xx …', maxLength: 3 }),
    from: el('input', { id: 'req-from', placeholder: '2026-12-01 or …T09:00:00Z', maxLength: 40 }),
    to: el('input', { id: 'req-to', placeholder: 'now', maxLength: 40 }),
    limit: el('input', { id: 'req-limit', type: 'number', value: '50', min: '1', max: '200' }),
  };
  const out = el('div', { id: 'requests-body' });
  const form = el('form', { class: 'filters', id: 'requests-filters' },
    Object.entries(inputs).map(([k, input]) => field(k[0].toUpperCase() + k.slice(1), input)),
    el('button', { type: 'submit', text: 'Filter' }));
  root.append(form, out);
  const cursors = [];
  const load = async cursor => {
    const query = { cursor };
    for (const [k, input] of Object.entries(inputs)) query[k] = input.value.trim();
    let page;
    try {
      page = await api('/v1/admin/requests', { query });
    } catch (e) {
      if (e.status === 401) throw e;
      out.replaceChildren(errorBox(e.message));
      return;
    }
    const pager = el('div', { class: 'pager' },
      el('button', { type: 'button', id: 'req-first', text: 'First page', disabled: cursors.length === 0,
        on: { click: () => { cursors.length = 0; load(); } } }),
      el('button', { type: 'button', id: 'req-next', text: 'Next page', disabled: !page.has_more,
        on: { click: () => { cursors.push(page.next_cursor); load(page.next_cursor); } } }));
    out.replaceChildren(section('Requests ' + fmt.time(page.from) + ' to ' + fmt.time(page.to),
      table(columns, page.data, { id: 'requests-table' }), pager));
  };
  form.addEventListener('submit', event => {
    event.preventDefault();
    cursors.length = 0;
    load();
  });
  await load();
}
