"""The anonymous web form (R1): pick a service, answer its intake questions, submit, follow the ticket.

Served by the API Lambda at GET /form, so the cloud and the local stack show the same page. It talks
to the public endpoints only: GET /services, POST /public/tickets, GET /public/tickets/{id}?key=.
The page has no inline script, style or handler: its script and style are served as files
(GET /assets/form.js, /assets/form.css), so its Content-Security-Policy allows scripts from the API only.
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Caseway: open a ticket</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="assets/form.css">
</head><body>
<h1>Open a support ticket</h1>
<p>Pick what you need; we ask only what that service needs. You get a reference and a link to follow it.</p>
<form id="f">
<label for="service" class="req">What do you need?</label><select id="service" name="service" required></select>
<p id="service-help"></p>
<label for="email" class="req">Your e-mail</label><input id="email" type="email" name="email" required>
<label for="name">Your name</label><input id="name" name="name">
<label for="subject" class="req">Subject</label><input id="subject" name="subject" minlength="3" required>
<label for="description" class="req">Describe it</label><textarea id="description" name="description" required></textarea>
<div id="fields"></div>
<button type="submit">Submit</button>
</form>
<div id="error" role="alert"></div>
<div id="result"></div>
<div id="ticket">
<h2 id="t-title"></h2>
<p><b>Status:</b> <span id="t-status"></span> &middot; <b>Whose move:</b> <span id="t-ball"></span>
<span id="t-next"></span></p>
<h3>Your request</h3><p id="t-description"></p>
<h3>Messages</h3><ul id="t-messages" class="hist"></ul>
<h3>History</h3><ul id="t-history" class="hist"></ul>
<form id="reply"><label for="reply-body">Write to support</label><textarea id="reply-body" required></textarea>
<button type="submit">Send</button> <button type="button" id="close-ticket">Close the ticket: it is solved</button></form>
<form id="rate"><h3>How did we do?</h3>
<label for="rating">Your rating</label><select id="rating" required><option value="5">5 excellent</option>
<option value="4">4 good</option><option value="3">3 fair</option><option value="2">2 poor</option>
<option value="1">1 bad</option></select>
<label for="rate-comment">Why? (optional)</label><textarea id="rate-comment"></textarea>
<button type="submit">Send the rating</button></form>
<p id="rated"></p>
</div>
<script src="assets/form.js" defer></script>
</body></html>
"""

STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input,select,textarea{width:100%;padding:.45rem;
box-sizing:border-box}textarea{min-height:5rem}button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}
.req:after{content:" *";color:#b00}#result{margin-top:1.5rem;padding:1rem;background:#eef6ee;display:none}
#error{color:#b00;white-space:pre-wrap}.hist li{margin:.3rem 0}
#ticket,#rate{display:none}
"""

SCRIPT = r"""
const $ = (id) => document.getElementById(id);
let services = [];
function esc(s){return String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]))}
function renderFields(){
  const svc = services.find(s => s.key === $('service').value); if(!svc) return;
  $('service-help').textContent = svc.description;
  $('fields').innerHTML = svc.intake_fields.map(f => {
    const req = f.required ? ' required' : '', cls = f.required ? ' class="req"' : '';
    let input;
    if (f.type === 'textarea') input = `<textarea id="q_${f.key}" data-key="${f.key}"${req}></textarea>`;
    else if (f.type === 'select') input = `<select id="q_${f.key}" data-key="${f.key}"${req}><option value=""></option>` +
      f.options.map(o => `<option>${esc(o)}</option>`).join('') + '</select>';
    else if (f.type === 'boolean') input = `<select id="q_${f.key}" data-key="${f.key}" data-type="boolean"${req}>` +
      '<option value=""></option><option value="true">yes</option><option value="false">no</option></select>';
    else if (f.type === 'number') input = `<input type="number" id="q_${f.key}" data-key="${f.key}" data-type="number"${req}>`;
    else input = `<input id="q_${f.key}" data-key="${f.key}"${req}>`;
    return `<label for="q_${f.key}"${cls}>${esc(f.label)}</label>${input}`;
  }).join('');
}
async function load(){
  const r = await fetch('services'.replace(/^/, base()+'/')); services = (await r.json()).items;
  $('service').innerHTML = services.map(s => `<option value="${esc(s.key)}">${esc(s.title)}</option>`).join('');
  renderFields();
}
function followPage(data){
  const u = new URL(data.follow_url, location.href);
  return base() + '/form?ticket=' + encodeURIComponent(data.id) + '&key=' + encodeURIComponent(u.searchParams.get('key'));
}
function base(){ return location.pathname.replace(/\/form$/, ''); }
$('service').addEventListener('change', renderFields);
$('f').addEventListener('submit', async (e) => {
  e.preventDefault(); $('error').textContent = '';
  const fields = {};
  document.querySelectorAll('#fields [data-key]').forEach(el => {
    if (el.value === '') return;
    fields[el.dataset.key] = el.dataset.type === 'boolean' ? el.value === 'true'
      : el.dataset.type === 'number' ? Number(el.value) : el.value;
  });
  const body = {service: $('service').value, email: $('email').value, name: $('name').value || null,
    subject: $('subject').value, description: $('description').value, fields,
    language: document.documentElement.lang || null};
  const r = await fetch(base() + '/public/tickets', {method: 'POST', headers: {'content-type': 'application/json',
    'idempotency-key': crypto.randomUUID()}, body: JSON.stringify(body)});
  const data = await r.json();
  if (!r.ok) { $('error').textContent = data.detail + (data.errors ? '\n' +
      data.errors.map(x => x.field + ': ' + x.message).join('\n') : ''); return; }
  $('f').style.display = 'none';
  $('result').style.display = 'block';
  $('result').innerHTML = `<h2>Received: ${esc(data.reference)}</h2><p>Quote this reference when you contact us.
    Follow your ticket here: <a id="follow" href="${esc(followPage(data))}">${esc(data.reference)}</a>.
    We have also sent the link to ${esc(body.email)}.</p>`;
});
const params = new URLSearchParams(location.search);
async function follow(){
  const id = params.get('ticket'), key = params.get('key');
  const url = base() + '/public/tickets/' + encodeURIComponent(id);
  const r = await fetch(url + '?key=' + encodeURIComponent(key));
  const t = await r.json();
  if (!r.ok) { $('error').textContent = t.detail; return; }
  $('f').style.display = 'none'; document.querySelector('h1').textContent = 'Your ticket';
  document.querySelector('body > p').style.display = 'none';
  $('ticket').style.display = 'block';
  $('t-title').textContent = t.reference + ': ' + t.subject;
  $('t-status').textContent = t.status.replaceAll('_', ' ');
  $('t-description').textContent = t.description;
  $('t-ball').textContent = t.ball_side === 'us' ? 'ours' : t.ball_side === 'customer' ? 'yours' : 'nobody (closed)';
  $('t-next').textContent = t.next_step_at ? ' · next step by ' + new Date(t.next_step_at).toLocaleString() : '';
  $('t-messages').innerHTML = t.messages.map(m => `<li><b>${esc(m.author.role === 'customer' ? 'You' : 'Support')}</b>
    (${esc(new Date(m.created_at).toLocaleString())}): ${esc(m.body)}</li>`).join('') || '<li>No messages yet.</li>';
  $('t-history').innerHTML = t.history.map(e => `<li>${esc(new Date(e.at).toLocaleString())}: ${esc(e.summary)}</li>`).join('');
  $('reply').style.display = t.status === 'closed' ? 'none' : 'block';
  $('rate').style.display = t.status === 'closed' && !t.satisfaction ? 'block' : 'none';
  $('rated').textContent = t.satisfaction ? 'You rated us ' + t.satisfaction.rating + '/5. Thank you.' : '';
  $('rate').onsubmit = async (e) => {
    e.preventDefault();
    const f = await fetch(url + '/feedback?key=' + encodeURIComponent(key), {method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({rating: Number($('rating').value), comment: $('rate-comment').value || null})});
    if (!f.ok) { $('error').textContent = (await f.json()).detail; return; }
    follow();
  };
  $('close-ticket').onclick = async () => {
    const c = await fetch(url + '/close?key=' + encodeURIComponent(key), {method: 'POST',
      headers: {'content-type': 'application/json'}, body: '{}'});
    if (!c.ok) { $('error').textContent = (await c.json()).detail; } follow();
  };
  $('reply').onsubmit = async (e) => {
    e.preventDefault(); $('error').textContent = '';
    const w = await fetch(url + '/messages?key=' + encodeURIComponent(key), {method: 'POST',
      headers: {'content-type': 'application/json', 'idempotency-key': crypto.randomUUID()},
      body: JSON.stringify({body: $('reply-body').value})});
    if (!w.ok) { $('error').textContent = (await w.json()).detail; return; }
    $('reply-body').value = ''; follow();
  };
}
if (params.get('ticket') && params.get('key')) follow(); else load();
"""
