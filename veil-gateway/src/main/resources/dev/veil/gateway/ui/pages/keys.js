// API keys: create (the secret shown once), revoke, edit the policy with the presets; the admin key API.
import { api } from '../api.js';
import { el, table, fmt, section, field, errorBox } from '../dom.js';

const PRESETS = ['', 'public', 'internal', 'confidential', 'regulated'];

function presetSelect(id, value) {
  return el('select', { id }, PRESETS.map(p => el('option', { value: p, text: p || '(none: unrestricted)',
    selected: p === (value || '') })));
}

function numberOrUndefined(input) {
  const v = input.value.trim();
  return v === '' ? undefined : Number(v);
}

export async function keysPage(root) {
  const status = el('div', { id: 'keys-status' });
  const list = el('div', { id: 'keys-list' });
  const name = el('input', { id: 'key-name', required: true, maxLength: 100, placeholder: 'team-a' });
  const preset = presetSelect('key-preset');
  const budget = el('input', { id: 'key-budget', type: 'number', min: '0', step: '0.01', placeholder: 'none' });
  const period = el('select', { id: 'key-period' }, el('option', { value: 'month', text: 'per month' }),
    el('option', { value: 'day', text: 'per day' }));
  const rpm = el('input', { id: 'key-rpm', type: 'number', min: '1', placeholder: 'unlimited' });
  const tpm = el('input', { id: 'key-tpm', type: 'number', min: '1', placeholder: 'unlimited' });
  const form = el('form', { class: 'filters', id: 'key-create' }, field('Name', name), field('Preset', preset),
    field('Budget (USD)', budget), field('Budget period', period), field('Requests/min', rpm),
    field('Tokens/min', tpm), el('button', { type: 'submit', id: 'key-create-submit', text: 'Create key' }));
  root.append(section('New key', form, status), list);

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const policy = {};
    if (preset.value) policy.preset = preset.value;
    if (numberOrUndefined(budget) !== undefined) {
      policy.budget_usd = numberOrUndefined(budget);
      policy.budget_period = period.value;
    }
    if (numberOrUndefined(rpm) !== undefined) policy.rpm = numberOrUndefined(rpm);
    if (numberOrUndefined(tpm) !== undefined) policy.tpm = numberOrUndefined(tpm);
    try {
      const created = await api('/admin/keys', { method: 'POST', body: { name: name.value, policy } });
      // The secret exists only in this answer: shown once here, never stored by the page.
      status.replaceChildren(el('div', { class: 'secret', id: 'key-secret-box' },
        el('p', { text: 'Key ' + created.id + ' created. Copy its secret now; Veil cannot show it again:' }),
        el('code', { id: 'key-secret', text: created.key })));
      name.value = '';
      await render();
    } catch (e) {
      if (e.status === 401) throw e;
      status.replaceChildren(errorBox(e.message));
    }
  });

  async function render() {
    const keys = await api('/admin/keys');
    list.replaceChildren(section('Keys', table([
      { label: 'Id', value: k => k.id },
      { label: 'Name', value: k => k.name },
      { label: 'Secret ends', value: k => k.hint },
      { label: 'Created', value: k => fmt.time(typeof k.created_at === 'number'
        ? new Date(k.created_at * 1000).toISOString() : k.created_at) },
      { label: 'State', value: k => k.revoked_at ? 'revoked' : 'active' },
      { label: 'Policy', value: k => k.policy },
      { label: '', cell: k => k.revoked_at ? el('span') : actions(k) },
    ], keys.data, { id: 'keys-table' })));
  }

  function actions(key) {
    const box = el('div', { class: 'actions' });
    const revoke = el('button', { type: 'button', class: 'danger', text: 'Revoke', 'data-revoke': key.id });
    const edit = el('button', { type: 'button', text: 'Edit policy', 'data-edit': key.id });
    revoke.addEventListener('click', () => {
      // A second click confirms: a dialog would be one more thing for scripts to fake.
      const confirm = el('button', { type: 'button', class: 'danger', text: 'Confirm revoke', 'data-confirm-revoke': key.id,
        on: { click: async () => {
          try {
            await api('/admin/keys/' + encodeURIComponent(key.id), { method: 'DELETE' });
            status.replaceChildren(el('p', { class: 'ok', id: 'key-revoked', text: 'Key ' + key.id + ' revoked.' }));
            await render();
          } catch (e) {
            status.replaceChildren(errorBox(e.message));
          }
        } } });
      box.replaceChildren(confirm, el('button', { type: 'button', text: 'Cancel', on: { click: () => render() } }));
    });
    edit.addEventListener('click', () => {
      const presetInput = presetSelect('edit-preset-' + key.id, key.policy && key.policy.preset);
      const policyText = el('textarea', { id: 'edit-policy-' + key.id, rows: 6, cols: 50 });
      policyText.value = JSON.stringify(key.policy || {}, null, 2);
      presetInput.addEventListener('change', () => {
        const p = safeParse(policyText.value) || {};
        if (presetInput.value) p.preset = presetInput.value; else delete p.preset;
        delete p.min_mode;
        policyText.value = JSON.stringify(p, null, 2);
      });
      const save = el('button', { type: 'button', text: 'Save policy', 'data-save-policy': key.id, on: { click: async () => {
        const policy = safeParse(policyText.value);
        if (policy === null) {
          status.replaceChildren(errorBox('The policy must be a JSON object.'));
          return;
        }
        try {
          await api('/admin/keys/' + encodeURIComponent(key.id), { method: 'PATCH', body: { policy } });
          status.replaceChildren(el('p', { class: 'ok', text: 'Policy of ' + key.id + ' replaced.' }));
          await render();
        } catch (e) {
          status.replaceChildren(errorBox(e.message));
        }
      } } });
      box.replaceChildren(field('Preset', presetInput), field('Policy (replaces the current one)', policyText), save,
        el('button', { type: 'button', text: 'Cancel', on: { click: () => render() } }));
    });
    box.append(edit, revoke);
    return box;
  }

  await render();
}

function safeParse(s) {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch (e) {
    return null;
  }
}

