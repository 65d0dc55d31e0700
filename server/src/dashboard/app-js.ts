/**
 * The dashboard's only script: action buttons and forms that call the API with the CSRF
 * token. Served from /static/app.js (no inline script, so the CSP can forbid inline code).
 * It only ever sets textContent, never HTML, so error messages cannot inject markup.
 */
export const APP_JS = `
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  function status(t) { var s = document.getElementById('action-status'); if (s) s.textContent = t; }
  async function call(method, url, body, type) {
    var h = { 'x-csrf-token': csrf }, payload;
    if (body !== null) { h['content-type'] = type || 'application/json'; payload = type ? body : JSON.stringify(body || {}); }
    var r = await fetch(url, { method: method, credentials: 'same-origin', headers: h, body: payload });
    var j = null; try { j = await r.json(); } catch (e) {}
    if (!r.ok) { var err = new Error((j && j.error && j.error.message) || ('HTTP ' + r.status)); err.details = j && j.error && j.error.errors; throw err; }
    return j;
  }
  document.addEventListener('click', async function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-action]');
    if (!b) return;
    var id = encodeURIComponent(b.getAttribute('data-device')), a = b.getAttribute('data-action');
    try {
      if (a === 'check-now') { status('Asking the agent to re-check…'); var r = await call('POST', '/api/v1/devices/' + id + '/check-now'); status('Re-check requested (' + r.commandId + '); results appear when the agent reports.'); setTimeout(function(){ location.reload(); }, 4000); }
      if (a === 'revoke') { if (!confirm('Revoke this device? Its agent is disconnected and can no longer report.')) return; await call('POST', '/api/v1/devices/' + id + '/revoke', { reason: 'revoked from dashboard' }); location.reload(); }
      if (a === 'revoke-exclusion') { await call('DELETE', '/api/v1/devices/' + id + '/exclusions/' + encodeURIComponent(b.getAttribute('data-exclusion')), null); location.reload(); }
    } catch (e) { status('Failed: ' + e.message); }
  });
  document.addEventListener('submit', async function (ev) {
    var f = ev.target;
    if (f.hasAttribute('data-csrf')) {
      var i = document.createElement('input'); i.type = 'hidden'; i.name = '_csrf'; i.value = csrf; f.appendChild(i);
    }
    var s = f.querySelector('.form-status');
    if (f.hasAttribute('data-json')) {
      ev.preventDefault();
      var body = {};
      new FormData(f).forEach(function (v, k) {
        if (v === '') return;
        var el = f.elements[k];
        // A date picked in the form means "through the end of that day" (UTC).
        if (el && el.hasAttribute && el.hasAttribute('data-end-of-day')) v = v + 'T23:59:59Z';
        body[k] = v;
      });
      try { await call('POST', f.getAttribute('action'), body); location.reload(); } catch (e) { if (s) s.textContent = 'Failed: ' + e.message; }
    }
    if (f.hasAttribute('data-policy')) {
      ev.preventDefault();
      var list = document.getElementById('policy-errors'); list.textContent = '';
      var c = f.elements.comment.value;
      try {
        await call('PUT', f.getAttribute('action') + (c ? '?comment=' + encodeURIComponent(c) : ''), f.elements.policy.value, 'text/yaml');
        if (s) s.textContent = 'Saved.'; setTimeout(function () { location.reload(); }, 500);
      } catch (e) {
        if (s) s.textContent = 'Not saved: ' + e.message;
        (e.details || []).forEach(function (m) { var li = document.createElement('li'); li.textContent = m; list.appendChild(li); });
      }
    }
  });
})();
`;
