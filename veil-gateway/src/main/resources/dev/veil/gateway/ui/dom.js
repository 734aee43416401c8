// Building the page only through DOM nodes and textContent: no value from the gateway is ever parsed as HTML, so
// names chosen by others (key names, model ids) stay text whatever they contain.

/** Creates an element; attrs sets properties known to be safe, children are nodes or text. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'dataset') Object.entries(v).forEach(([dk, dv]) => { node.dataset[dk] = String(dv); });
    else if (k === 'on') Object.entries(v).forEach(([ev, fn]) => node.addEventListener(ev, fn));
    else if (k === 'href') node.setAttribute('href', String(v).startsWith('#') ? String(v) : '#');
    else if (['id', 'type', 'name', 'value', 'placeholder', 'min', 'max', 'step', 'for', 'title', 'role',
      'maxLength', 'required', 'disabled', 'checked', 'selected', 'rows', 'cols', 'readOnly', 'htmlFor',
      'ariaLabel', 'hidden', 'colSpan'].includes(k)) node[k] = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) node.setAttribute(k, String(v));
    else throw new Error('dom.el: attribute not allowed: ' + k);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Any JSON value as display text. */
export function text(v) {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/**
 * A table: columns are {label, value: row => any, cell?: row => Node}. Each cell is text unless cell() builds nodes
 * itself (from el(), so still text).
 */
export function table(columns, rows, attrs = {}) {
  const head = el('tr', {}, columns.map(c => el('th', { text: c.label })));
  const body = rows.map(r => el('tr', {}, columns.map(c => {
    const td = el('td');
    if (c.cell) append(td, [c.cell(r)]);
    else td.textContent = text(c.value(r));
    if (c.numeric) td.className = 'num';
    return td;
  })));
  const t = el('table', attrs, el('thead', {}, head), el('tbody', {}, body));
  if (rows.length === 0) {
    t.appendChild(el('tbody', {}, el('tr', {}, el('td', { class: 'empty', colSpan: columns.length, text: 'Nothing yet.' }))));
  }
  return t;
}

export const fmt = {
  int: v => (v === null || v === undefined) ? '—' : Number(v).toLocaleString('en-US'),
  usd: v => (v === null || v === undefined) ? '—' : '$' + usd(Number(v)),
  pct: v => (v === null || v === undefined) ? '—' : (Number(v) * 100).toFixed(1) + ' %',
  ms: v => (v === null || v === undefined) ? '—' : Number(v).toLocaleString('en-US') + ' ms',
  time: v => (v === null || v === undefined) ? '—' : String(v).replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
};

/** Dollars with at least two decimals and up to six (micro-dollars), without trailing zeros beyond two. */
function usd(n) {
  const six = n.toFixed(6);
  const trimmed = six.replace(/0{1,4}$/, '');
  return trimmed.endsWith('.') ? trimmed + '00' : trimmed;
}

/** A section with a heading. */
export function section(title, ...children) {
  return el('section', { class: 'card' }, el('h2', { text: title }), ...children);
}

/** A labelled form field. */
export function field(label, input) {
  return el('label', { class: 'field' }, el('span', { text: label }), input);
}

export function errorBox(message) {
  return el('p', { class: 'error', role: 'alert', text: message });
}
