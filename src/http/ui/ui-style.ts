/** The UI's stylesheet, served from memory at `/static/ui.css` (static-assets.ts). */
export const UI_CSS = [
  ':root{color-scheme:light dark;--fg:#222;--bg:#fff;--muted:#666;--line:#ccc;--panel:#f7f7f9}',
  '@media (prefers-color-scheme:dark){:root{--fg:#ddd;--bg:#181a1b;--muted:#999;--line:#444;--panel:#222426}}',
  'body{font-family:system-ui,sans-serif;margin:0;color:var(--fg);background:var(--bg)}',
  'nav{display:flex;gap:1em;align-items:center;padding:.6em 1em;background:#333;color:#fff}',
  'nav a{color:#ddd;text-decoration:none}nav a:hover,nav a:focus{color:#fff;text-decoration:underline}',
  'nav .brand{font-weight:bold;color:#fff}main{padding:1em}',
  // Tabs without JavaScript: the Metrics tab shows unless the Status tab is the URL's target.
  '#status{display:none}#status:target{display:block}body:has(#status:target) #metrics{display:none}',
  'details{border:1px solid var(--line);border-radius:4px;margin:.4em 0;background:var(--panel)}',
  'details>summary{cursor:pointer;padding:.4em .6em}details[open]>summary{border-bottom:1px solid var(--line)}',
  '.group-body{padding:.4em .8em}.family{background:var(--bg)}',
  '.label{border-radius:3px;padding:0 .35em;margin-right:.25em;font-size:.9em;color:#000}',
  '.label.job{background:#ffc107}.label.instance{background:#8ab4f8}.label.other{background:#9fe3ef}',
  '.badge{border:1px solid var(--line);border-radius:3px;padding:0 .35em;margin-left:.4em;font-size:.85em}',
  '.failed{color:#fff;background:#c62828;border-radius:1em;padding:0 .6em;font-weight:bold}',
  '.lifecycle strong.failed{background:none;color:#c62828}',
  '.overdue{border-left:4px solid #c62828}.when{color:var(--muted);font-size:.85em;margin-left:.6em}',
  'table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:.2em .5em;text-align:left;' +
    'vertical-align:top}',
  'table.values th{font-weight:normal;color:var(--muted)}',
  'button{cursor:pointer}button.danger{background:#c62828;color:#fff;border:0;border-radius:3px;padding:.3em .8em}',
  'button:disabled{opacity:.5;cursor:default}',
  // The delete buttons need the script (they call the push API's DELETE); without it they are not shown.
  '.needs-js{display:none}.js .needs-js{display:inline-block}',
  '.tools{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;margin:.6em 0}.tools[hidden]{display:none}',
  '#filter{min-width:20em}#shown{color:var(--muted);font-size:.9em}',
  '.stale{border-left:4px solid #e0a800}.stale .age{color:#b8860b;font-weight:bold}',
  // The page links are a <nav> too: not the dark bar of the top one.
  'nav.pages{margin:.6em 0;padding:0;background:none;color:inherit;display:flex;flex-wrap:wrap;gap:.2em}',
  '.pages .page{padding:.1em .5em;border-radius:3px}.pages a.page{border:1px solid var(--line);color:inherit}',
  '.pages .current{font-weight:bold}#page-info{color:var(--muted)}',
  '.curl pre{margin:.2em 0 .6em;padding:.3em .5em;background:var(--bg);overflow-x:auto;user-select:all}',
].join('\n');
