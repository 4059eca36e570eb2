// admin.js - the operator console (admin.html). Polls the JSON API every 2 s
// and keeps one card per room up to date in place (rebuilding the cards
// would reset a select the operator is using and make thumbnails flicker).
// Authentication: the browser asked for the operator key when it opened
// /admin (HTTP Basic) and sends the same credentials with these requests.
'use strict';

const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);
const cards = new Map(); // room name -> { root, img, box, layout, record, meta, tbody }
let errorAt = 0;         // when the last error was shown

// A DOM element from a tag, properties and children. Text from the server
// (names come from anyone who joins) only ever goes in as text nodes.
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'data') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (c instanceof Node ? c : String(c))));
  return e;
}

function showError(msg) {
  $('error').textContent = msg || '';
  $('error').hidden = !msg;
  errorAt = msg ? Date.now() : 0;
}

// One API call; throws an Error whose message is fit to show.
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(path, init); } catch {
    throw new Error('The server cannot be reached. The figures below are not current.');
  }
  if (res.status === 401) {
    throw new Error('The server did not accept the operator key. Reload the page and sign in ' +
      '(any user name, the operator key as password).');
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new Error((json && json.message) || `${method} ${path} answered ${res.status}`);
  return json;
}

// Runs an operator action, shows its error if any, then refreshes at once.
async function act(fn) {
  try { showError(''); await fn(); } catch (e) { showError(e.message); }
  poll();
}

const roomPath = (name) => `/api/rooms/${encodeURIComponent(name)}`;

// --- formatting ----------------------------------------------------------------

// Today's times without the date: shorter, and what an operator looks at.
function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}
function duration(s) {
  if (s === undefined || s === null) return '–';
  s = Math.round(s);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return (hms[0] ? `${hms[0]}:` : '') + `${String(hms[1]).padStart(hms[0] ? 2 : 1, '0')}:${String(hms[2]).padStart(2, '0')}`;
}
function size(b) {
  if (b === undefined || b === null) return '–';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (b >= 1000 && i < units.length - 1) { b /= 1000; i++; }
  return `${b.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// --- rooms ---------------------------------------------------------------------

function makeCard(name) {
  const img = el('img', { class: 'thumb', alt: `the picture everyone in ${name} receives` });
  const box = el('figure', { class: 'thumb-box empty' }, img, el('figcaption', { class: 'nopic' }, 'no picture yet'));
  // 404 until someone in the room receives video (nothing is composited before).
  img.addEventListener('load', () => box.classList.remove('empty'));
  img.addEventListener('error', () => box.classList.add('empty'));
  const layout = el('select', { class: 'layout', onchange: () => act(() => api('PATCH', roomPath(name), { layout: layout.value })) },
    new Option('grid', 'grid'), new Option('speaker', 'speaker'));
  const record = el('input', { type: 'checkbox', class: 'record',
    onchange: () => act(() => api('PATCH', roomPath(name), { record: record.checked })) });
  const end = el('button', { type: 'button', class: 'end danger', onclick: () => {
    if (confirm(`End the room "${name}"? Everyone in it is disconnected, and its recording (if any) is finished.`))
      act(() => api('DELETE', roomPath(name)));
  } }, 'End room');
  const meta = el('span', { class: 'meta' });
  const tbody = el('tbody');
  const head = el('tr', {}, ...['Participant', 'Kind', 'Profile (receiving)', 'Direction', 'Packets in a / v',
    'Lost', 'Jitter ms a / v', 'ICE / DTLS', ''].map((h) => el('th', {}, h)));
  const root = el('article', { class: 'room panel', data: { room: name } },
    el('header', {}, el('h3', {}, name), meta, el('span', { class: 'spacer' }),
      el('label', { class: 'inline' }, 'Layout', layout),
      el('label', { class: 'inline' }, record, 'Record'),
      end),
    el('div', { class: 'room-body' },
      box,
      el('div', { class: 'table-wrap' }, el('table', { class: 'participants' }, el('thead', {}, head), tbody))));
  return { root, img, box, layout, record, meta, tbody };
}

function participantRow(room, p) {
  const s = p.stats || {};
  const a = s.audio || {};
  const v = s.video || {};
  const profile = p.receiving_profile && p.receiving_profile !== p.profile
    ? `${p.profile} (${p.receiving_profile})` : p.profile;
  const kick = el('button', { type: 'button', class: 'kick small danger', onclick: () => {
    act(() => api('DELETE', `${roomPath(room)}/participants/${encodeURIComponent(p.id)}`));
  } }, 'Kick');
  return el('tr', { class: 'participant', data: { id: p.id } },
    el('td', { title: `joined ${time(p.joined)}` }, p.name || '(no name)', el('span', { class: 'id' }, p.id)),
    el('td', {}, p.kind),
    el('td', {}, profile || '–'),
    el('td', {}, p.direction || '–'),
    el('td', { class: 'num' }, `${a.packets_in ?? '–'} / ${v.packets_in ?? '–'}`),
    el('td', { class: 'num' }, (a.lost ?? 0) + (v.lost ?? 0)),
    el('td', { class: 'num' }, `${(a.jitter_ms ?? 0).toFixed(1)} / ${(v.jitter_ms ?? 0).toFixed(1)}`),
    el('td', {}, `${s.ice || '–'} / ${s.dtls || '–'}`),
    el('td', {}, kick));
}

function updateCard(c, r) {
  // Leave a control alone while the operator is using it.
  if (document.activeElement !== c.layout) c.layout.value = r.layout;
  c.record.checked = !!r.record;
  const n = r.participants.length;
  const m = r.mixer;
  c.meta.textContent = [`${n} participant${n === 1 ? '' : 's'}`, `since ${time(r.created)}`,
    m && `mixing ${m.video_decoders} video / ${m.audio_decoders} audio, encoding ${m.profiles.join('+') || 'nothing'}`,
    m && m.overruns ? `${m.overruns} late ticks` : null, r.record ? 'recording' : null].filter(Boolean).join(' · ');
  c.tbody.replaceChildren(...(n ? r.participants.map((p) => participantRow(r.room, p))
    : [el('tr', {}, el('td', { colSpan: 9, class: 'empty-note' }, 'nobody'))]));
}

function renderRooms(rooms) {
  const seen = new Set();
  for (const r of rooms) {
    seen.add(r.room);
    let c = cards.get(r.room);
    if (!c) {
      c = makeCard(r.room);
      cards.set(r.room, c);
      $('rooms').append(c.root);
      refreshThumb(r.room, c);
    }
    updateCard(c, r);
  }
  for (const [name, c] of cards) if (!seen.has(name)) { c.root.remove(); cards.delete(name); }
  $('no-rooms').hidden = cards.size > 0;
}

// A new URL each time, so no cache answers; the old picture stays up until
// the new one has loaded.
function refreshThumb(name, c) {
  c.img.src = `${roomPath(name)}/snapshot.jpg?t=${Date.now()}`;
}

// --- recordings ----------------------------------------------------------------

function renderRecordings(list) {
  const rows = list.map((r) => {
    const live = r.state === 'recording';
    return el('tr', { class: 'recording', data: { file: r.file } },
      el('td', {}, r.file), el('td', {}, r.room), el('td', {}, time(r.started)),
      el('td', { class: 'num' }, duration(r.duration_s)), el('td', { class: 'num' }, size(r.bytes)),
      el('td', {}, el('span', { class: `badge ${live ? 'live' : r.state === 'done' ? 'ok' : ''}` }, r.state)),
      el('td', {},
        el('a', { class: 'download button small', href: `/recordings/${encodeURIComponent(r.file)}`, download: r.file }, 'Download'),
        ' ',
        el('button', { type: 'button', class: 'delete small danger', disabled: live,
          title: live ? 'still being written: stop recording the room first' : 'delete the file', onclick: () => {
            if (confirm(`Delete the recording ${r.file}? This cannot be undone.`))
              act(() => api('DELETE', `/api/recordings/${encodeURIComponent(r.file)}`));
          } }, 'Delete')));
  });
  $('recordings').tBodies[0].replaceChildren(...rows);
  $('no-recordings').hidden = list.length > 0;
}

// --- polling -------------------------------------------------------------------

let busy = false;
let again = false;

async function poll() {
  if (busy) { again = true; return; } // one at a time; an action's refresh runs right after
  busy = true;
  try {
    const [rooms, recordings] = await Promise.all([api('GET', '/api/rooms'), api('GET', '/api/recordings')]);
    renderRooms(rooms.rooms);
    renderRecordings(recordings.recordings);
    if (errorAt && Date.now() - errorAt > 8000) showError(''); // an old error no longer applies
    const h = await api('GET', '/api/health');
    const up = Math.floor(h.uptime_s / 60);
    $('health').textContent = `version ${h.version} · up ${Math.floor(up / 60)} h ${up % 60} min · ` +
      `${h.rooms} room${h.rooms === 1 ? '' : 's'} · ${h.participants} participant${h.participants === 1 ? '' : 's'}`;
  } catch (e) {
    showError(e.message);
  } finally {
    busy = false;
    if (again) { again = false; poll(); }
  }
}

poll();
setInterval(poll, POLL_MS);
setInterval(() => { for (const [name, c] of cards) refreshThumb(name, c); }, POLL_MS);
