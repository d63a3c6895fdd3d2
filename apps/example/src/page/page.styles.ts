/** The page's whole stylesheet: plain CSS, inlined so the page is one request. */
export const PAGE_CSS = `
:root { --fg:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --brand:#2ca01c; --brand-dark:#1f7a12; --danger:#c62828; --warn:#b26a00; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); }
header .inner, main { max-width:960px; margin:0 auto; padding:16px 24px; }
header .inner { display:flex; align-items:center; justify-content:space-between; gap:16px; }
h1 { font-size:20px; margin:0; }
h1 small { font-weight:400; color:var(--muted); font-size:14px; margin-left:8px; }
h2 { font-size:17px; margin:0 0 12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:20px 24px; margin:20px 0; box-shadow:0 1px 2px rgba(0,0,0,.04); }
.btn { display:inline-block; border:0; border-radius:6px; padding:8px 16px; font:inherit; font-weight:600; cursor:pointer; text-decoration:none; }
.btn-primary { background:var(--brand); color:#fff; } .btn-primary:hover { background:var(--brand-dark); }
.btn-danger { background:#fff; color:var(--danger); border:1px solid var(--danger); padding:5px 12px; } .btn-danger:hover { background:#fdecea; }
.btn-link { background:none; color:var(--muted); padding:4px 8px; font-weight:400; } .btn-link:hover { color:var(--fg); }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:10px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); font-weight:600; }
td .sub { display:block; font-size:12px; color:var(--muted); }
code { font:13px ui-monospace,SFMono-Regular,Menlo,monospace; background:var(--bg); padding:1px 5px; border-radius:4px; }
.badge { display:inline-block; padding:2px 10px; border-radius:999px; font-size:12px; font-weight:600; }
.badge-active { background:#e3f6e0; color:var(--brand-dark); }
.badge-needs_reauth { background:#fff4e0; color:var(--warn); }
.badge-reauth_pending { background:#fff4e0; color:var(--warn); }
.badge-revoke_pending, .badge-undecryptable { background:#fdecea; color:var(--danger); }
.badge-revoked { background:#eceff1; color:var(--muted); }
.flash { border-radius:8px; padding:10px 14px; margin:16px 0 0; }
.flash-ok { background:#e3f6e0; color:var(--brand-dark); } .flash-error { background:#fdecea; color:var(--danger); }
.empty { color:var(--muted); margin:8px 0 16px; }
.actions { display:flex; gap:8px; align-items:center; white-space:nowrap; }
.who { color:var(--muted); font-size:14px; }
.demo { border-left:4px solid var(--warn); }
label { display:block; font-weight:600; margin-bottom:6px; }
input[type=password], input[type=text] { width:100%; max-width:420px; padding:8px 10px; border:1px solid var(--line); border-radius:6px; font:inherit; }
form.inline { display:inline; margin:0; }
footer { color:var(--muted); font-size:13px; text-align:center; padding:24px; }
`;
