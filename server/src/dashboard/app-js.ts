/**
 * The dashboard's only script: action buttons and forms that post with the CSRF token.
 * Served from /static/app.js (no inline script, so a strict CSP can forbid inline code).
 */
export const APP_JS = `
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  function status(t) { var s = document.getElementById('action-status'); if (s) s.textContent = t; }
  async function post(url, body) {
    var r = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body || {}) });
    var j = null; try { j = await r.json(); } catch (e) {}
    if (!r.ok) throw new Error((j && j.error && j.error.message) || ('HTTP ' + r.status));
    return j;
  }
  document.addEventListener('click', async function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-action]');
    if (!b) return;
    var id = b.getAttribute('data-device'), a = b.getAttribute('data-action');
    try {
      if (a === 'check-now') { status('Asking the agent to re-check…'); var r = await post('/api/v1/devices/' + encodeURIComponent(id) + '/check-now'); status('Re-check requested (' + r.commandId + '); results appear when the agent reports.'); setTimeout(function(){ location.reload(); }, 4000); }
      if (a === 'revoke') { if (!confirm('Revoke this device? Its agent is disconnected and can no longer report.')) return; await post('/api/v1/devices/' + encodeURIComponent(id) + '/revoke', { reason: 'revoked from dashboard' }); location.reload(); }
    } catch (e) { status('Failed: ' + e.message); }
  });
  document.addEventListener('submit', async function (ev) {
    var f = ev.target;
    if (f.hasAttribute('data-csrf')) {
      var i = document.createElement('input'); i.type = 'hidden'; i.name = '_csrf'; i.value = csrf; f.appendChild(i);
    }
    if (f.hasAttribute('data-json')) {
      ev.preventDefault();
      var body = {}; new FormData(f).forEach(function (v, k) { if (v !== '') body[k] = v; });
      try { await post(f.getAttribute('action'), body); location.reload(); } catch (e) { var s = f.querySelector('.form-status'); if (s) s.textContent = 'Failed: ' + e.message; }
    }
  });
})();
`;
