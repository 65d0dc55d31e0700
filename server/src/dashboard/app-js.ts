/**
 * The dashboard's only script: action buttons and forms that call the API with the CSRF
 * token. Served from /static/app.js (no inline script, so the CSP can forbid inline code).
 * It only ever sets textContent, never HTML, so error messages cannot inject markup.
 */
export const APP_JS = `
(function () {
  // Times in the viewer's time zone, as the CLI prints them in the machine's (the HTML holds UTC;
  // the exact instant stays in the tooltip).
  document.querySelectorAll('time[data-local]').forEach(function (t) {
    var d = new Date(t.getAttribute('datetime'));
    if (!isNaN(d)) t.textContent = d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  });
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  function status(t) { var s = document.getElementById('action-status'); if (s) s.textContent = t; }
  async function call(method, url, body, type) {
    var h = { 'x-csrf-token': csrf }, payload;
    if (body !== null) { h['content-type'] = type || 'application/json'; payload = type ? body : JSON.stringify(body || {}); }
    var r = await fetch(url, { method: method, credentials: 'same-origin', headers: h, body: payload });
    var j = null; try { j = await r.json(); } catch (e) {}
    if (!r.ok) { var err = new Error((j && j.error && j.error.message) || ('HTTP ' + r.status)); err.details = j && j.error && j.error.errors; err.field = j && j.error && j.error.field; throw err; }
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
      // Archive / unarchive / delete (devices/lifecycle.ts): each asks for the reason the audit log and the evidence show.
      if (a === 'archive') { var ar = prompt('Archive this device? It is hidden from the fleet, its counts and alerts until it reports again or is un-archived.\\nReason (recorded in the audit log and the evidence):'); if (ar === null) return; if (!ar.trim()) { status('A reason is needed to archive a device.'); return; } await call('POST', '/api/v1/devices/' + id + '/archive', { reason: ar.trim().slice(0, 500) }); location.reload(); return; }
      if (a === 'unarchive') { var ur = prompt('Un-archive this device? It shows in the fleet again.\\nReason (optional, recorded in the audit log):'); if (ur === null) return; await call('POST', '/api/v1/devices/' + id + '/unarchive', ur.trim() ? { reason: ur.trim().slice(0, 500) } : {}); location.reload(); return; }
      if (a === 'delete-device') {
        var dr = prompt('Delete ' + b.getAttribute('data-hostname') + ' for good? Its key is revoked and it leaves the fleet; it cannot be restored (its machine can enroll again as a new device). Its evidence is kept until retention.\\nReason (required, recorded in the audit log and the evidence):');
        if (dr === null) return; if (!dr.trim()) { status('A reason is needed to delete a device.'); return; }
        await call('DELETE', '/api/v1/devices/' + id, { reason: dr.trim().slice(0, 500) }); location.href = '/devices'; return;
      }
      if (a === 'restore') { if (!confirm('Restore this device? Its agent can enroll again with a new key.')) return; await call('POST', '/api/v1/devices/' + id + '/restore'); location.reload(); }
      // A pending enrollment: the decision needs a reason (audit log); approve replaces the device's key.
      if (a === 'approve-enrollment' || a === 'reject-enrollment') {
        var approve = a === 'approve-enrollment';
        var reason = prompt(approve ? 'Approve this enrollment? It REPLACES the device key: the agent running now stops reporting.\\nReason (recorded in the audit log):' : 'Reject this enrollment request?\\nReason (recorded in the audit log):');
        if (reason === null) return;
        if (reason.trim().length < 3) { status('A reason of at least 3 characters is needed.'); return; }
        await call('POST', '/api/v1/enrollments/' + encodeURIComponent(b.getAttribute('data-pending')) + (approve ? '/approve' : '/reject'), { reason: reason.trim().slice(0, 500) });
        location.reload(); return;
      }
      // Send test (Alerts page): the receiver's answer is shown at once, and in the delivery log after a reload.
      if (a === 'webhook-test') {
        status('Sending a test alert…');
        var t = await call('POST', '/api/v1/webhooks/' + encodeURIComponent(b.getAttribute('data-webhook')) + '/test', {});
        status(t.ok ? 'Test delivered: the receiver answered HTTP ' + t.status + ' in ' + t.ms + ' ms.' : 'Test failed: ' + t.error + '.');
        return;
      }
      if (a === 'revoke-exclusion') { await call('DELETE', '/api/v1/devices/' + id + '/exclusions/' + encodeURIComponent(b.getAttribute('data-exclusion')), null); location.reload(); }
    } catch (e) { status('Failed: ' + e.message); }
  });
  // Evidence period: the fields show the viewer's own time zone; what is sent is UTC ISO 8601.
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function localField(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  var ef = document.querySelector('form[data-evidence-period]');
  if (ef) {
    ['from', 'to'].forEach(function (k) { var el = ef.elements[k]; if (el && el.value) el.value = localField(new Date(el.value + ':00Z')); });
    var zone = document.getElementById('evidence-zone'), tz = '';
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) {}
    if (zone) zone.textContent = 'Times are in your time zone' + (tz ? ' (' + tz + ')' : '') + '. The default is the last 90 days up to now.';
  }
  // Bulk actions on the device list: each selected device goes through its own API call, so
  // the per-device checks and audit entries are the same as on the device page.
  var bulk = document.querySelector('form[data-bulk]');
  function selected() { return Array.prototype.map.call(document.querySelectorAll('input[name="sel"]:checked'), function (c) { return c.value; }); }
  function bulkStatus(t) { var e = document.getElementById('bulk-status'); if (e) e.textContent = t; }
  if (bulk) {
    document.addEventListener('change', function (ev) {
      if (ev.target.id === 'select-all') document.querySelectorAll('input[name="sel"]').forEach(function (c) { c.checked = ev.target.checked; });
      var n = document.getElementById('bulk-count'); if (n) n.textContent = selected().length + ' selected';
    });
    bulk.addEventListener('click', async function (ev) {
      var b = ev.target.closest && ev.target.closest('button[data-bulk-action]');
      if (!b) return;
      var ids = selected(), a = b.getAttribute('data-bulk-action'), ok = 0, failed = [];
      if (!ids.length) { bulkStatus('Select devices first.'); return; }
      if (a === 'owner') {
        var email = bulk.elements.email.value.trim();
        if (!email) { bulkStatus('Enter the owner email address.'); return; }
        try { var r = await call('POST', '/api/v1/devices/owner', { deviceIds: ids, email: email }); bulkStatus('Owner set on ' + r.updated + ' of ' + ids.length + '.'); setTimeout(function () { location.reload(); }, 800); }
        catch (e) { bulkStatus('Failed: ' + e.message); }
        return;
      }
      var body = null;
      if (a === 'exclude') {
        var why = bulk.elements.rationale.value.trim(), days = Number(bulk.elements.days.value) || 30;
        if (why.length < 10) { bulkStatus('Give a reason of at least 10 characters for the exclusion.'); return; }
        body = { checkId: bulk.elements.checkId.value, rationale: why, expiresAt: new Date(Date.now() + days * 86400000).toISOString() };
      }
      bulkStatus('Working… 0 of ' + ids.length);
      for (var i = 0; i < ids.length; i++) {
        var u = '/api/v1/devices/' + encodeURIComponent(ids[i]) + (a === 'exclude' ? '/exclusions' : '/check-now');
        try { await call('POST', u, body); ok++; } catch (e) { failed.push(ids[i] + ': ' + e.message); }
        bulkStatus('Working… ' + (i + 1) + ' of ' + ids.length);
      }
      bulkStatus((a === 'exclude' ? 'Excluded on ' : 'Re-check sent to ') + ok + ' of ' + ids.length + '.' + (failed.length ? ' Failed: ' + failed.join('; ') : ''));
      if (a === 'exclude' && ok) setTimeout(function () { location.reload(); }, 800);
    });
  }
  // Client-side filter of a long table (the device's software list): rows whose text contains the words.
  document.querySelectorAll('input[data-filter-table]').forEach(function (inp) {
    var t = document.getElementById(inp.getAttribute('data-filter-table')), n = document.getElementById(inp.getAttribute('data-filter-table') + '-count');
    inp.addEventListener('input', function () {
      var q = inp.value.toLowerCase().trim(), shown = 0, rows = t ? t.querySelectorAll('tr') : [];
      for (var i = 1; i < rows.length; i++) { var hit = !q || rows[i].textContent.toLowerCase().indexOf(q) >= 0; rows[i].hidden = !hit; if (hit) shown++; }
      if (n) n.textContent = q ? shown + ' match' + (shown === 1 ? '' : 'es') : '';
      var box = t && t.closest('details'); if (box && q) box.open = true;
    });
  });
  var emptyConfirmed = '';
  async function evidenceSubmit(f) {
    var w = document.getElementById('evidence-warning');
    var from = new Date(f.elements.from.value), to = new Date(f.elements.to.value);
    if (isNaN(from.getTime()) || isNaN(to.getTime())) { w.textContent = 'Enter both dates.'; w.hidden = false; return; }
    var q = 'from=' + encodeURIComponent(from.toISOString()) + '&to=' + encodeURIComponent(to.toISOString());
    var p;
    try { p = await call('GET', '/api/v1/evidence/preview?' + q, null); } catch (e) { w.textContent = 'Cannot export: ' + e.message; w.hidden = false; return; }
    if (p.devices === 0 && emptyConfirmed !== q) {
      emptyConfirmed = q;
      w.textContent = 'No device was enrolled during this period, so the bundle would be empty. Press Download again to export it anyway.';
      w.hidden = false; return;
    }
    w.hidden = true;
    location.href = f.getAttribute('action') + '?' + q;
  }
  document.addEventListener('submit', async function (ev) {
    var f = ev.target;
    if (f.hasAttribute('data-evidence-period')) { ev.preventDefault(); await evidenceSubmit(f); return; }
    // A group by rule: the form's fields become the nested rule object the API takes.
    if (f.hasAttribute('data-group-rule')) {
      ev.preventDefault();
      var gs = f.querySelector('.form-status'), ge = document.getElementById('group-rule-errors'); ge.textContent = '';
      var list = function (v) { return v.split(',').map(function (x) { return x.trim(); }).filter(Boolean); };
      var rule = {}, plats = Array.prototype.map.call(f.querySelectorAll('input[name="platform"]:checked'), function (c) { return c.value; });
      if (plats.length) rule.platform = plats;
      if (f.elements.hostname.value.trim()) rule.hostname = f.elements.hostname.value.trim();
      ['tag', 'department', 'idpGroup'].forEach(function (k) { var v = list(f.elements[k].value); if (v.length) rule[k] = v; });
      if (!Object.keys(rule).length) { gs.textContent = 'Give at least one condition.'; return; }
      var gb = { name: f.elements.name.value.trim(), kind: 'rule', rule: rule };
      if (f.elements.description.value.trim()) gb.description = f.elements.description.value.trim();
      try { await call('POST', f.getAttribute('action'), gb); gs.textContent = 'Created.'; location.reload(); }
      catch (e) { gs.textContent = 'Not created: ' + e.message; (e.details || []).forEach(function (m) { var li = document.createElement('li'); li.textContent = typeof m === 'string' ? m : JSON.stringify(m); ge.appendChild(li); }); }
      return;
    }
    if (f.hasAttribute('data-csrf')) {
      var i = document.createElement('input'); i.type = 'hidden'; i.name = '_csrf'; i.value = csrf; f.appendChild(i);
    }
    var s = f.querySelector('.form-status');
    // Alerts page: edit a webhook (PATCH). A refused field gets its message next to it; the URL
    // is sent only when a new one is typed (the current one is not shown: its path can be a credential).
    if (f.hasAttribute('data-webhook-edit')) {
      ev.preventDefault();
      f.querySelectorAll('[data-error-for]').forEach(function (e) { e.textContent = ''; });
      f.querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
      var wb = { label: f.elements.label.value, events: [], enabled: f.elements.enabled.checked };
      f.querySelectorAll('input[name=events]:checked').forEach(function (c) { wb.events.push(c.value); });
      if (f.elements.url.value !== '') wb.url = f.elements.url.value;
      try { await call('PATCH', f.getAttribute('action'), wb); if (s) s.textContent = 'Saved.'; location.reload(); }
      catch (e) {
        var fld = String(e.field || '').replace(/^body[/]/, '').split('/')[0];
        var eb = fld && f.querySelector('[data-error-for="' + fld + '"]');
        if (eb) { eb.textContent = e.message; var inp = f.elements[fld]; if (inp && inp.setAttribute) inp.setAttribute('aria-invalid', 'true'); }
        if (s) s.textContent = 'Not saved: ' + e.message;
      }
      return;
    }
    // Device page: add the device to the static group picked in the form.
    if (f.hasAttribute('data-group-add')) {
      ev.preventDefault();
      try { await call('POST', '/api/v1/groups/' + encodeURIComponent(f.elements.group.value) + '/members', { deviceIds: [f.getAttribute('data-device')] }); location.reload(); } catch (e) { if (s) s.textContent = 'Failed: ' + e.message; }
      return;
    }
    if (f.hasAttribute('data-json')) {
      ev.preventDefault();
      if (f.hasAttribute('data-confirm') && !confirm(f.getAttribute('data-confirm'))) return;
      var body = {};
      // Fields named in data-arrays (checkbox groups) are sent as a list of the checked values.
      var arrays = (f.getAttribute('data-arrays') || '').split(' ').filter(Boolean);
      new FormData(f).forEach(function (v, k) {
        if (arrays.indexOf(k) >= 0) { (body[k] = body[k] || []).push(v); return; }
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
