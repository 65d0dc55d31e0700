/** The dashboard stylesheet, served from /static/app.css (no inline styles under the CSP). */
export const APP_CSS = `
:root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--mute:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
header{display:flex;gap:18px;align-items:center;padding:10px 20px;border-bottom:1px solid var(--line);background:var(--bg)}
header b{font-size:16px}header nav a{margin-right:14px;color:#0969da;text-decoration:none}header .who{margin-left:auto;color:var(--mute)}
main{padding:18px 20px;max-width:1400px}h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600}th a{color:inherit}td.num{text-align:right}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid transparent}
.s-compliant,.s-pass,.s-ok{background:#dafbe1;color:var(--ok)}.s-failing{background:#fff8c5;color:var(--warn)}
.s-noncompliant,.s-fail,.s-failed,.s-denied,.s-revoked{background:#ffebe9;color:var(--bad)}.s-stale,.s-unknown,.s-not_required{background:#eaeef2;color:var(--mute)}
.s-excluded{background:#ddf4ff;color:#0969da}.s-connected{background:#dafbe1;color:var(--ok)}.s-offline{background:#eaeef2;color:var(--mute)}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px;text-decoration:none;color:inherit}.card .n{font-size:24px;font-weight:600}
form.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:12px}input,select,button,textarea{font:inherit;padding:4px 8px}
button{cursor:pointer}.muted{color:var(--mute)}.err{color:var(--bad)}pre{background:var(--bg);padding:8px;overflow:auto;max-height:300px;font-size:12px}
.pager{margin-top:10px;display:flex;gap:12px;align-items:center}ol.fix{margin:4px 0 0 18px;padding:0}
.check{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin-bottom:10px}
.warn{border-color:#d97706;background:#fff7ed}
form.inline{display:inline}form.stack{max-width:420px;display:grid;gap:8px}form.stack input{width:100%}
form.stack label.ev{display:flex;gap:8px;align-items:baseline}form.stack label.ev input{width:auto}form.stack input[type=checkbox]{width:auto}.field-error:empty{display:none}.field-error{font-size:13px}[aria-invalid=true]{border-color:var(--bad);outline:1px solid var(--bad)}details.webhook-edit{display:inline-block;vertical-align:top}details.webhook-edit[open]{display:block;margin:6px 0}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}.grid2>div{min-width:0}td code{word-break:break-all}@media(max-width:900px){.grid2{grid-template-columns:1fr}}
.trend svg{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
.legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.f-compliant{fill:#2da44e;background:#2da44e}.f-excluded{fill:#54aeff;background:#54aeff}.f-failing{fill:#d4a72c;background:#d4a72c}
.f-noncompliant{fill:#cf222e;background:#cf222e}.f-unknown{fill:#afb8c1;background:#afb8c1}.f-stale{fill:#6e7781;background:#6e7781}
textarea.policy{width:100%;min-height:480px;font:12px/1.4 ui-monospace,monospace}ul.errors{color:var(--bad)}
ul.changes{margin:0 0 4px 16px;padding:0}
input,select,textarea{max-width:100%}
@media(max-width:640px){header{flex-wrap:wrap;gap:6px 12px;padding:8px 12px}header nav{display:flex;flex-wrap:wrap;gap:4px 12px}header nav a{margin-right:0}
header .who{margin-left:0;width:100%}main{padding:12px}.card{min-width:0;flex:1 1 40%}
table{display:block;overflow-x:auto;-webkit-overflow-scrolling:touch}}
`;
