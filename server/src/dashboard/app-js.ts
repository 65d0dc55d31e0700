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
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  // A re-check is pending until its report has been applied (the command is completed then):
  // poll its status instead of reloading after a fixed delay, and reload once the result is in.
  async function waitForResult(deviceId, commandId) {
    for (;;) {
      await sleep(1500);
      var c;
      try { c = await call('GET', '/api/v1/devices/' + deviceId + '/commands/' + encodeURIComponent(commandId), null); } catch (e) { continue; }
      if (c && c.completed_at) { status('Result received.'); location.reload(); return; }
    }
  }
  var pending = document.getElementById('recheck-status');
  var actions = document.querySelector('button[data-action="check-now"]');
  if (pending && actions) waitForResult(encodeURIComponent(actions.getAttribute('data-device')), pending.getAttribute('data-command'));
  document.addEventListener('click', async function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-action]');
    if (!b) return;
    var id = encodeURIComponent(b.getAttribute('data-device')), a = b.getAttribute('data-action');
    try {
      // Generic API button (settings page): optional confirm, then reload to show the new state.
      if (a === 'api') { var m = b.getAttribute('data-confirm'), meth = b.getAttribute('data-method') || 'POST'; if (m && !confirm(m)) return; await call(meth, b.getAttribute('data-url'), meth === 'DELETE' ? null : {}); location.reload(); return; }
      if (a === 'copy') { await navigator.clipboard.writeText(document.getElementById(b.getAttribute('data-copy')).textContent); status('Copied to the clipboard.'); return; }
      if (a === 'check-now') {
        status('Asking the agent to re-check…');
        var r = await call('POST', '/api/v1/devices/' + id + '/check-now');
        status(r.connected ? 'Re-check sent; waiting for the result…'
          : 'The device is offline: the re-check is queued and runs when it reconnects (until ' + new Date(r.queuedUntil).toLocaleString() + '). Pending…');
        await waitForResult(id, r.commandId);
      }
      // Revoking asks why: the reason goes into the audit log and shows on the device page.
      if (a === 'revoke') { var why = prompt('Revoke this device? Its agent is disconnected and can no longer report.\\nReason (recorded in the audit log):'); if (why === null) return; if (!why.trim()) { status('A reason is needed to revoke a device.'); return; } await call('POST', '/api/v1/devices/' + id + '/revoke', { reason: why.trim().slice(0, 500) }); location.reload(); }
      if (a === 'restore') { if (!confirm('Restore this device? Its agent can enroll again with a new key.')) return; await call('POST', '/api/v1/devices/' + id + '/restore'); location.reload(); }
      if (a === 'revoke-exclusion') { await call('DELETE', '/api/v1/devices/' + id + '/exclusions/' + encodeURIComponent(b.getAttribute('data-exclusion')), null); location.reload(); }
    } catch (e) { status('Failed: ' + e.message); }
  });
  document.addEventListener('submit', async function (ev) {
    var f = ev.target;
    if (f.hasAttribute('data-csrf')) {
      var i = document.createElement('input'); i.type = 'hidden'; i.name = '_csrf'; i.value = csrf; f.appendChild(i);
    }
    var s = f.querySelector('.form-status');
    // Device page: add the device to the static group picked in the form.
    if (f.hasAttribute('data-group-add')) {
      ev.preventDefault();
      try { await call('POST', '/api/v1/groups/' + encodeURIComponent(f.elements.group.value) + '/members', { deviceIds: [f.getAttribute('data-device')] }); location.reload(); } catch (e) { if (s) s.textContent = 'Failed: ' + e.message; }
      return;
    }
    if (f.hasAttribute('data-json')) {
      ev.preventDefault();
      var body = {};
      new FormData(f).forEach(function (v, k) {
        if (v === '') return;
        var el = f.elements[k];
        // A date picked in the form means "through the end of that day" (UTC).
        if (el && el.hasAttribute && el.hasAttribute('data-end-of-day')) v = v + 'T23:59:59Z';
        if (el && el.hasAttribute && el.hasAttribute('data-number')) v = Number(v);
        body[k] = v;
      });
      var j;
      try { j = await call(f.getAttribute('data-method') || 'POST', f.getAttribute('action'), body); } catch (e) { if (s) s.textContent = 'Failed: ' + e.message; return; }
      // A secret the server returns once (new token, enrollment secret) goes into a result box
      // instead of a reload, which would lose it; only the named table is refreshed.
      var box = f.hasAttribute('data-result') && document.getElementById(f.getAttribute('data-result'));
      if (!box) { location.reload(); return; }
      box.querySelectorAll('[data-field]').forEach(function (el) { el.textContent = (el.getAttribute('data-before') || '') + String(j[el.getAttribute('data-field')] || ''); });
      box.hidden = false; f.reset(); if (s) s.textContent = 'Created.';
      var rid = f.getAttribute('data-refresh');
      if (rid) {
        try {
          var doc = new DOMParser().parseFromString(await (await fetch(location.href, { credentials: 'same-origin' })).text(), 'text/html');
          var fresh = doc.getElementById(rid), old = document.getElementById(rid);
          if (fresh && old) old.replaceWith(document.importNode(fresh, true));
        } catch (e) { /* the list catches up on the next reload */ }
      }
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
