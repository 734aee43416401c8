// The audit log of admin actions (GET /v1/admin/audit) and the privacy inventory (GET /v1/privacy). Both are read
// defensively: whatever fields come back are shown as text.
import { api, ApiError } from '../api.js';
import { el, table, fmt, section, text, errorBox } from '../dom.js';

export async function auditPage(root) {
  const out = el('div', { id: 'audit-body' });
  root.appendChild(out);
  const load = async after => {
    let page;
    try {
      page = await api('/v1/admin/audit', { query: { limit: 100, after } });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        out.replaceChildren(el('p', { class: 'note', id: 'audit-missing',
          text: 'This gateway has no audit log endpoint (GET /v1/admin/audit).' }));
        return;
      }
      throw e;
    }
    const entries = Array.isArray(page && page.data) ? page.data : Array.isArray(page && page.entries) ? page.entries
      : Array.isArray(page) ? page : [];
    const last = entries.length ? entries[entries.length - 1] : null;
    const next = page && page.has_more ? (page.next_after || page.next_cursor || (last ? last.seq : null)) : null;
    const chain = page && page.chain;
    out.replaceChildren(section('Admin actions', table([
      { label: 'Seq', value: e => e.seq, numeric: true },
      { label: 'Time (UTC)', value: e => fmt.time(e.time) },
      { label: 'Actor', value: e => e.actor },
      { label: 'Action', value: e => e.action },
      { label: 'Subject', value: e => e.subject },
      { label: 'Details', value: e => e.details },
    ], entries, { id: 'audit-table' }),
    chain ? el('p', { class: 'note', id: 'audit-chain', text: 'Hash chain: entries ' + text(chain.first_seq) + ' to '
      + text(chain.head_seq) + ', head ' + text(chain.head_hash) + ' (veil audit verify checks it).' }) : null,
    next ? el('button', { type: 'button', id: 'audit-next', text: 'Next page', on: { click: () => load(next) } }) : null));
  };
  await load();
}

export async function privacyPage(root) {
  let inventory;
  try {
    inventory = await api('/v1/privacy');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      root.appendChild(el('p', { class: 'note', text: 'This gateway does not serve GET /v1/privacy.' }));
      return;
    }
    throw e;
  }
  const tables = Array.isArray(inventory && inventory.tables) ? inventory.tables : [];
  for (const t of tables) {
    const fields = Array.isArray(t.fields) ? t.fields : [];
    root.appendChild(section('Table ' + text(t.table), t.purpose ? el('p', { text: text(t.purpose) }) : null,
      el('p', { class: 'note', text: 'Kept: ' + text(t.retention) }),
      table([
        { label: 'Field', value: f => f.name },
        { label: 'What it holds', value: f => f.meaning },
        { label: 'Kept', value: f => f.retention !== undefined ? f.retention : t.retention },
      ], fields, { class: 'privacy-table' })));
  }
  const elsewhere = Array.isArray(inventory && inventory.elsewhere) ? inventory.elsewhere : [];
  if (elsewhere.length) {
    root.appendChild(section('Kept outside the store', table([
      { label: 'What', value: e => e.what }, { label: 'Where', value: e => e.where },
      { label: 'Kept', value: e => e.retention }], elsewhere, { id: 'privacy-elsewhere' })));
  }
  const modes = Array.isArray(inventory && inventory.modes) ? inventory.modes : [];
  if (modes.length) {
    const keys = [...new Set(modes.flatMap(m => (m && typeof m === 'object') ? Object.keys(m) : ['mode']))];
    root.appendChild(section('Privacy modes: who sees what', table(keys.map(k => ({ label: k,
      value: m => (m && typeof m === 'object') ? m[k] : m })), modes, { id: 'privacy-modes' })));
  }
  if (!tables.length && !modes.length) root.appendChild(errorBox('The privacy inventory came back empty.'));
}
