// The dashboard's shell: who is logged in, the navigation for that role, and the page the location's hash names.
import { api, ApiError, setCsrf } from './api.js';
import { el, clear, errorBox } from './dom.js';
import { destroyCharts } from './charts.js';
import { usagePage } from './pages/usage.js';
import { requestsPage } from './pages/requests.js';
import { keysPage } from './pages/keys.js';
import { routesPage, nodesPage, batchesPage } from './pages/infra.js';
import { auditPage, privacyPage } from './pages/records.js';
import { ownerPage } from './pages/owner.js';

const OPERATOR_PAGES = [
  ['usage', 'Usage', usagePage], ['requests', 'Requests', requestsPage], ['keys', 'Keys', keysPage],
  ['routes', 'Routes', routesPage], ['nodes', 'Nodes', nodesPage], ['batches', 'Batches', batchesPage],
  ['audit', 'Audit log', auditPage], ['privacy', 'Privacy', privacyPage],
];
const OWNER_PAGES = [['key', 'My key', ownerPage], ['privacy', 'Privacy', privacyPage]];

let session = null;

function pagesFor(role) {
  return role === 'operator' ? OPERATOR_PAGES : OWNER_PAGES;
}

function showBanner(message) {
  const banner = document.getElementById('banner');
  banner.textContent = message || '';
  banner.hidden = !message;
}

function renderNav() {
  const nav = clear(document.getElementById('nav'));
  const who = document.getElementById('who');
  if (!session) {
    who.textContent = '';
    return;
  }
  for (const [id, label] of pagesFor(session.role)) {
    nav.appendChild(el('a', { href: '#/' + id, text: label, 'data-page': id }));
  }
  who.textContent = session.role === 'operator' ? 'Operator' : 'Key ' + session.key_id;
  nav.appendChild(el('button', { type: 'button', id: 'logout', class: 'link', text: 'Log out', on: { click: logout } }));
}

async function logout() {
  try {
    await api('/ui/logout', { method: 'POST', body: {} });
  } catch (e) {
    // The session may be gone already; the cookie is cleared either way below.
  }
  session = null;
  setCsrf(null);
  window.location.hash = '#/';
  await start();
}

function showLogin(message) {
  session = null;
  setCsrf(null);
  renderNav();
  destroyCharts();
  clear(document.getElementById('page'));
  document.getElementById('login-view').hidden = false;
  document.getElementById('login-error').textContent = message || '';
}

async function route() {
  if (!session) return;
  document.getElementById('login-view').hidden = true;
  const pages = pagesFor(session.role);
  const wanted = (window.location.hash || '').replace(/^#\/?/, '').split('?')[0];
  const known = OPERATOR_PAGES.concat(OWNER_PAGES).find(p => p[0] === wanted);
  const page = pages.find(p => p[0] === wanted) || (known ? null : pages[0]);
  destroyCharts();
  const root = clear(document.getElementById('page'));
  for (const a of document.querySelectorAll('#nav a')) {
    a.className = page && a.dataset.page === page[0] ? 'active' : '';
  }
  if (!page) {
    // A page of the other role, reached by URL: the server would refuse its data anyway.
    root.appendChild(el('section', { class: 'card', id: 'forbidden' }, el('h1', { text: 'Not for this session' }),
      errorBox('This page belongs to the operator. You are logged in with an API key, which sees only its own data.')));
    return;
  }
  root.appendChild(el('h1', { id: 'page-title', text: page[1] }));
  try {
    await page[2](root, session);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showLogin('Your session has ended; log in again.');
      return;
    }
    root.appendChild(errorBox(e instanceof ApiError ? e.message : 'This page failed to load.'));
  }
  root.dataset.loaded = page[0];
}

async function start() {
  showBanner('');
  try {
    session = await api('/ui/session');
    setCsrf(session.csrf_token);
  } catch (e) {
    showLogin(e instanceof ApiError && e.code === 'invalid_session' ? e.message : '');
    return;
  }
  renderNav();
  await route();
}

document.getElementById('login-form').addEventListener('submit', async event => {
  event.preventDefault();
  const input = document.getElementById('login-token');
  const token = input.value;
  input.value = '';
  try {
    session = await api('/ui/login', { method: 'POST', body: { token } });
    setCsrf(session.csrf_token);
    document.getElementById('login-error').textContent = '';
    renderNav();
    await route();
  } catch (e) {
    document.getElementById('login-error').textContent = e instanceof ApiError ? e.message : 'Login failed.';
  }
});

window.addEventListener('hashchange', route);
start();
