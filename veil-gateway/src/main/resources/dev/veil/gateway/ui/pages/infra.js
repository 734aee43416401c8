// Routes and models, nodes, batches: GET /v1/admin/routes, /v1/admin/nodes, /v1/admin/batches.
import { api } from '../api.js';
import { el, table, fmt, section, field, errorBox, text } from '../dom.js';

function policyText(p) {
  if (!p) return '—';
  const parts = [];
  parts.push(p.trains === false ? 'no training' : p.trains === true ? 'may train' : 'training undeclared');
  parts.push(p.retention_days === null || p.retention_days === undefined ? 'retention undeclared'
    : 'retention ' + p.retention_days + ' d');
  if (p.zdr) parts.push('ZDR');
  if (p.tee && p.tee !== 'none') parts.push('TEE ' + p.tee);
  if (p.e2ee) parts.push('e2ee');
  if (p.jurisdiction) parts.push(p.jurisdiction);
  return parts.join(', ');
}

export async function routesPage(root) {
  const models = await api('/v1/admin/routes');
  for (const m of models.data) {
    root.appendChild(section('Model ' + m.model + ' (' + m.mode + ')',
      m.description ? el('p', { class: 'note', text: m.description }) : null,
      table([
        { label: 'Route', value: r => r.route },
        { label: 'Upstream', value: r => r.upstream + (r.node ? ' (node)' : '') },
        { label: 'Upstream model', value: r => r.upstream_model },
        { label: 'Mode', value: r => r.mode },
        { label: 'Data policy', value: r => policyText(r.policy) },
        { label: 'Circuit', cell: r => el('span', { class: 'badge ' + (r.circuit === 'closed' ? 'good' : 'bad'),
          text: r.circuit + (r.node && !r.admitted ? ', node not admitted' : '') }) },
        { label: 'Recent latency', value: r => r.recent && r.recent.observations > 0 ? fmt.ms(r.recent.latency_ms) : '—',
          numeric: true },
        { label: 'Failure rate', value: r => r.recent ? fmt.pct(r.recent.failure_rate) : '—', numeric: true },
        { label: 'Price in/out per M', value: r => r.price ? r.price.input_per_million + ' / ' + r.price.output_per_million
          : '—' },
      ], m.routes, { class: 'routes-table' })));
  }
}

export async function nodesPage(root) {
  // GET /v1/admin/nodes (the node network API): configured and joined nodes with their verified identity.
  const nodes = await api('/v1/admin/nodes');
  const data = Array.isArray(nodes && nodes.data) ? nodes.data : [];
  const att = n => (n && n.attestation) || {};
  root.appendChild(section('Nodes', table([
    { label: 'Node', value: n => n.name || n.id },
    { label: 'Kind', value: n => n.kind },
    { label: 'Address', value: n => n.url },
    { label: 'Models', value: n => Array.isArray(n.models) ? n.models.join(', ') : n.models },
    { label: 'State', cell: n => el('span', { class: 'badge ' + (n.state === 'admitted' ? 'good' : 'bad'),
      text: text(n.state) + (n.registration_state ? ' (' + n.registration_state + ')' : '') }) },
    { label: 'Attestation', value: n => att(n).format ? att(n).format + (att(n).simulated ? ' (SIMULATED)' : '') : '—' },
    { label: 'Measurement', value: n => att(n).measurement },
    { label: 'Node key', value: n => att(n).node_key_id },
    { label: 'GPUs', value: n => Array.isArray(att(n).gpus) && att(n).gpus.length
      ? att(n).gpus.map(g => text(g.architecture) + (g.simulated ? ' (simulated)' : '')).join(', ') : '—' },
    { label: 'Last verified', value: n => fmt.time(att(n).last_verified_at) },
    { label: 'Last failure', value: n => att(n).last_failure },
  ], data, { id: 'nodes-table' })));
  if (data.length === 0) {
    root.appendChild(el('p', { class: 'note', text: 'No Veil nodes are configured on this gateway or joined it.' }));
  }
}

export function batchColumns(withKey) {
  return [
    { label: 'Batch', value: b => b.id },
    withKey ? { label: 'Key', value: b => b.key_id } : null,
    { label: 'Endpoint', value: b => b.endpoint },
    { label: 'Status', value: b => b.status },
    { label: 'Progress', cell: b => el('span', { class: 'progress' },
      el('progress', { max: '1', value: String(b.progress) }),
      ' ' + fmt.int(b.request_counts.completed + b.request_counts.failed) + ' / ' + fmt.int(b.request_counts.total)) },
    { label: 'Failed', value: b => fmt.int(b.request_counts.failed), numeric: true },
    { label: 'Client-sealed', value: b => b.client_sealed ? 'yes' : 'no' },
    { label: 'Created', value: b => fmt.time(b.created_at) },
    { label: 'Ended', value: b => fmt.time(b.ended_at) },
  ].filter(Boolean);
}

export async function batchesPage(root) {
  const status = el('select', { id: 'batch-status' }, ['', 'validating', 'in_progress', 'finalizing', 'completed', 'failed',
    'expired', 'cancelling', 'cancelled'].map(s => el('option', { value: s, text: s || 'any status' })));
  const key = el('input', { id: 'batch-key', placeholder: 'all keys', maxLength: 64 });
  const out = el('div');
  const form = el('form', { class: 'filters' }, field('Status', status), field('Key id', key),
    el('button', { type: 'submit', text: 'Filter' }));
  root.append(form, out);
  const load = async after => {
    try {
      const page = await api('/v1/admin/batches', { query: { status: status.value, key: key.value.trim(), after } });
      out.replaceChildren(section('Batches', table(batchColumns(true), page.data, { id: 'batches-table' }),
        page.has_more ? el('button', { type: 'button', text: 'Next page', on: { click: () => load(page.next_after) } })
          : null));
    } catch (e) {
      if (e.status === 401) throw e;
      out.replaceChildren(errorBox(e.message));
    }
  };
  form.addEventListener('submit', event => { event.preventDefault(); load(); });
  await load();
}

