/**
 * The My-device page's only script (served from /my-device/static/page.js; no inline code).
 * "Re-check now" posts with the session's CSRF token, then polls the command until the
 * agent's new report has been stored, and reloads the server-rendered checks. "Sign in with
 * company SSO" posts the same token to start a device claim, then follows the provider URL (a
 * script navigation: the page's CSP form-action would block a form's redirect to the provider).
 */
export const PAGE_JS = `
(function () {
  // Times in the viewer's time zone (the server renders UTC).
  function localTimes(root) {
    root.querySelectorAll('time[data-local]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (!isNaN(d)) t.textContent = d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
    });
  }
  localTimes(document);
  // After a claim the page is served at /my-device/claim/complete; a reload or the re-check's
  // refresh must fetch the page, not replay the (single-use) claim step.
  if (location.pathname === '/my-device/claim/complete') history.replaceState(null, '', '/my-device');
  var claim = document.getElementById('claim');
  if (claim) claim.addEventListener('click', async function () {
    var st = document.getElementById('claim-status');
    claim.disabled = true;
    try {
      var r = await fetch('/my-device/claim/start', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': claim.getAttribute('data-csrf') }, body: '{}' });
      var j = null; try { j = await r.json(); } catch (e) {}
      if (!r.ok || !j || !j.url) throw new Error((j && j.error && j.error.message) || ('HTTP ' + r.status));
      location.assign(j.url);
    } catch (e) {
      st.textContent = 'Could not start the sign-in: ' + e.message;
      claim.disabled = false;
    }
  });
  var btn = document.getElementById('recheck');
  var out = document.getElementById('recheck-status');
  if (!btn) return;
  var csrf = btn.getAttribute('data-csrf');
  function say(t) { out.textContent = t; }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  async function getJson(url) {
    var r = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    var j = null; try { j = await r.json(); } catch (e) {}
    if (!r.ok) throw new Error((j && j.error && j.error.message) || ('HTTP ' + r.status));
    return j;
  }
  async function refreshChecks() {
    var r = await fetch(location.pathname, { credentials: 'same-origin' });
    if (!r.ok) { location.reload(); return; }
    var doc = new DOMParser().parseFromString(await r.text(), 'text/html');
    ['checks', 'overall'].forEach(function (id) {
      var fresh = doc.getElementById(id), old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    });
    localTimes(document);
  }
  btn.addEventListener('click', async function () {
    btn.disabled = true;
    try {
      say('Asking the agent to re-check…');
      var r = await fetch('/my-device/api/check-now', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
      var j = null; try { j = await r.json(); } catch (e) {}
      if (!r.ok) throw new Error((j && j.error && j.error.message) || ('HTTP ' + r.status));
      say(j.connected ? 'Re-checking… (usually a few seconds)' : 'The agent is not connected; the re-check runs when it reconnects.');
      var deadline = Date.now() + 120000;
      while (Date.now() < deadline) {
        await sleep(1000);
        var c = await getJson('/my-device/api/commands/' + encodeURIComponent(j.commandId));
        if (c.completedAt) { await refreshChecks(); say('Updated with the new result.'); return; }
      }
      say('No result yet; this page will show it once the agent reports.');
    } catch (e) {
      say('Could not re-check: ' + e.message);
    } finally {
      btn.disabled = false;
    }
  });
})();
`;
