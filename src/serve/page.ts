// SPDX-License-Identifier: MIT
/**
 * The page `mirrorgan serve` answers at `/`: one self-contained HTML document (inline CSS and
 * JS, images as data: URLs, no font, script or style from elsewhere, so it works offline and
 * under a Content-Security-Policy that forbids every other source). Type a caption, get a grid
 * of samples, each with its seed, a download link, STREAM's re-description and one heat map
 * per word. User text only ever reaches the page through textContent.
 */

/** What the page may load: itself, inline code, data: images, and its own API. */
export const PAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = `
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #6b6b70; --bg: #fafafa; --card: #fff; --line: #d8d8dc; --accent: #c2410c; --bad: #b91c1c; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececf0; --muted: #a0a0a8; --bg: #161618; --card: #212124; --line: #3a3a40; --accent: #fb923c; --bad: #f87171; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 18px; }
form { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
input[type=text] { flex: 1 1 320px; font: inherit; padding: 9px 12px; border: 1px solid var(--line); border-radius: 8px; background: var(--card); color: var(--fg); }
select, button { font: inherit; padding: 9px 12px; border-radius: 8px; border: 1px solid var(--line); background: var(--card); color: var(--fg); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button:disabled { opacity: .6; cursor: progress; }
#error { color: var(--bad); min-height: 1.5em; margin: 10px 0; }
#status { color: var(--muted); min-height: 1.5em; }
#notes { color: var(--muted); }
#grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 16px; margin-top: 12px; }
.sample { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px; }
.sample > img { width: 100%; height: auto; aspect-ratio: 1; image-rendering: pixelated; border-radius: 6px; background: #fff; display: block; }
.meta { display: flex; justify-content: space-between; align-items: baseline; margin: 6px 0 2px; font-size: 13px; color: var(--muted); }
.meta a { color: var(--accent); }
.description { font-style: italic; margin: 2px 0 8px; min-height: 1.4em; }
.attention { display: flex; gap: 6px; flex-wrap: wrap; }
.attention figure { margin: 0; width: 64px; text-align: center; font-size: 12px; }
.attention img { width: 64px; height: 64px; border-radius: 4px; display: block; }
.attention figcaption { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
footer { margin-top: 28px; font-size: 12px; color: var(--muted); }
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
let info = null;
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}
function showError(message) { $('error').textContent = message; }
async function loadInfo() {
  const r = await fetch('api/info');
  info = await r.json();
  $('model').textContent = info.name + ' - ' + info.description;
  $('licence').textContent = 'Model weights: ' + info.licence.weights + '. ' + info.licence.notice;
  const n = $('n');
  for (let k = 1; k <= info.maxSamples; k++) n.append(el('option', { value: String(k), textContent: k + (k === 1 ? ' sample' : ' samples'), selected: k === Math.min(4, info.maxSamples) }));
  $('caption').maxLength = info.maxCaptionLength;
}
function render(result) {
  const grid = $('grid');
  grid.replaceChildren();
  const notes = [];
  if (result.unknownWords.length) notes.push('Unknown words dropped: ' + result.unknownWords.join(', ') + '.');
  notes.push('Words used: ' + result.tokens.join(' ') + '.');
  $('notes').textContent = notes.join(' ');
  for (const s of result.samples) {
    const img = el('img', { src: s.image, alt: result.caption + ' (seed ' + s.seed + ')', className: 'image', width: result.size, height: result.size });
    const download = el('a', { href: s.image, download: 'mirrorgan-seed-' + s.seed + '.png', textContent: 'download' });
    const meta = el('div', { className: 'meta' }, el('span', { className: 'seed', textContent: 'seed ' + s.seed }), download);
    const said = el('p', { className: 'description', textContent: s.description !== undefined ? '\\u201c' + s.description + '\\u201d' : '' });
    const maps = el('div', { className: 'attention' });
    for (const a of s.attention) {
      maps.append(el('figure', {}, el('img', { src: a.image, alt: 'attention of ' + a.token, title: a.token }), el('figcaption', { textContent: a.token })));
    }
    grid.append(el('div', { className: 'sample' }, img, meta, said, maps));
  }
}
async function generate(event) {
  event.preventDefault();
  showError('');
  const button = $('go');
  button.disabled = true;
  $('status').textContent = 'Generating ...';
  const t0 = performance.now();
  try {
    const r = await fetch('api/generate', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caption: $('caption').value, n: Number($('n').value) }),
    });
    const body = await r.json().catch(() => ({ message: 'The server answered ' + r.status + ' without a readable message' }));
    if (!r.ok) { showError(body.message); $('status').textContent = ''; return; }
    render(body);
    $('status').textContent = body.samples.length + ' samples in ' + ((performance.now() - t0) / 1000).toFixed(1) + ' s';
  } catch (e) {
    showError('Cannot reach the server: ' + e.message);
    $('status').textContent = '';
  } finally {
    button.disabled = false;
  }
}
$('form').addEventListener('submit', generate);
loadInfo().catch((e) => showError('Cannot read the model information: ' + e.message));
`;

/** The page, complete. */
export function renderPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MirrorGAN</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>MirrorGAN</h1>
<p class="sub" id="model">&nbsp;</p>
<form id="form" autocomplete="off">
<input type="text" id="caption" name="caption" placeholder="a red heart" aria-label="caption" autofocus>
<select id="n" aria-label="samples"></select>
<button id="go" type="submit">Generate</button>
</form>
<div id="error" role="alert"></div>
<div id="status" aria-live="polite"></div>
<p id="notes"></p>
<div id="grid"></div>
<footer><p id="licence"></p><p>Each image shows its seed: the same caption and seed give the same image (<code>npx mirrorgan generate "caption" --seed N</code>). The heat maps show where each word's features went in the last stage (word attention).</p></footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
