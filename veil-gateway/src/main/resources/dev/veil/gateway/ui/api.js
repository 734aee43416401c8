// Calls to Veil's documented JSON endpoints with the session cookie (sent by the browser, unreadable to scripts).
// The CSRF token lives only in this module's memory, never in localStorage or sessionStorage.
let csrfToken = null;

/** An answer other than 2xx, with the OpenAI-shaped error's message and code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  csrfToken = typeof token === 'string' ? token : null;
}

/** GET or change something; resolves to the parsed JSON body, rejects with ApiError. */
export async function api(path, { method = 'GET', body, query } = {}) {
  const url = new URL(path, window.location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
  }
  const headers = { 'accept': 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'The gateway could not be reached.');
  }
  let data = null;
  const type = response.headers.get('content-type') || '';
  if (type.startsWith('application/json')) {
    try { data = await response.json(); } catch (e) { data = null; }
  }
  if (!response.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(response.status, String(err.code || 'http_' + response.status),
      String(err.message || 'The gateway answered ' + response.status + '.'));
  }
  return data;
}
