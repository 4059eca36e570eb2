// client.js - the browser client (index.html). Joins a room with WHIP:
// one sendrecv peer connection that sends the camera and microphone and
// receives the room's composite picture and audio mix. Plain DOM, no build.
'use strict';

const $ = (id) => document.getElementById(id);
const ui = {};
for (const id of ['room', 'name', 'profile', 'camera', 'microphone', 'preview', 'join', 'leave',
  'mute', 'camera-off', 'layout', 'remote', 'error', 'state', 'token', 'token-field', 'setup',
  'stat-in', 'stat-out', 'stat-lost', 'stat-rtt', 'stat-frames', 'stat-size']) ui[id] = $(id);

let stream = null;     // the local camera + microphone: preview and what we send
let pc = null;         // the peer connection while joining or joined
let session = null;    // the WHIP resource (Location): DELETE it to leave
let senders = {};      // kind -> RTCRtpSender, to swap devices mid-call
let statsTimer = null;
let lastSample = null; // previous byte counters, for bitrates
let muted = false;
let cameraOff = false;
let away = null;       // while the connection is lost: { since, timer, restarting }

// Capture size per received profile: a weak link that receives little should
// not send a lot either.
const CAPTURE = { hd: { width: 1280, height: 720 }, sd: { width: 640, height: 360 }, ld: { width: 320, height: 180 } };

function setState(s) {
  ui.state.textContent = s;
  ui.state.dataset.state = s;
  const inCall = s === 'joining' || s === 'connected' || s === 'reconnecting';
  ui.join.disabled = inCall;
  ui.leave.disabled = !inCall;
  for (const id of ['room', 'name', 'profile']) ui[id].disabled = inCall;
  ui.mute.disabled = !track('audio');
  ui['camera-off'].disabled = !track('video');
}

function showError(msg) {
  ui.error.textContent = msg || '';
  ui.error.hidden = !msg;
}

const track = (kind) => stream && stream.getTracks().find((t) => t.kind === kind);
const roomName = () => ui.room.value.trim();

// --- camera and microphone -------------------------------------------------

function mediaError(e) {
  switch (e && e.name) {
    case 'NotAllowedError': case 'SecurityError':
      return 'The camera or microphone was refused. Allow them for this site (the icon at the left of ' +
        'the address bar) and reload. You can still join to watch and listen.';
    case 'NotFoundError':
      return 'No camera or microphone was found. Connect one and reload; you can still join to watch and listen.';
    case 'NotReadableError':
      return 'The camera or microphone is busy: another program or tab is using it.';
    case 'OverconstrainedError':
      return 'The chosen camera or microphone is no longer available. Pick another one.';
    default:
      return `The camera or microphone could not be opened (${e && e.name ? e.name : e}).`;
  }
}

// Opens the chosen devices (or the defaults); when one kind is missing,
// carries on with the other so a laptop without a camera can still talk.
async function openMedia() {
  const cam = ui.camera.value;
  const mic = ui.microphone.value;
  const video = { ...CAPTURE[ui.profile.value], frameRate: 30, ...(cam ? { deviceId: { exact: cam } } : {}) };
  const audio = mic ? { deviceId: { exact: mic } } : true;
  let next = null;
  let failure = null;
  for (const want of [{ audio, video }, { audio }, { video }]) {
    try { next = await navigator.mediaDevices.getUserMedia(want); break; } catch (e) {
      failure = failure || e;
      if (e.name === 'NotAllowedError' || e.name === 'SecurityError') break; // refused: don't ask twice
    }
  }
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = next;
  if (!stream) { showError(mediaError(failure)); ui.preview.srcObject = null; return; }
  if (failure) showError(track('video') ? 'No microphone was found: you join with your picture only.'
    : 'No camera was found: you join with sound only.');
  const a = track('audio');
  const v = track('video');
  if (a) a.enabled = !muted;
  if (v) v.enabled = !cameraOff;
  ui.preview.srcObject = stream;
  // In a call, swap the new tracks into the running senders (no renegotiation).
  for (const kind of ['audio', 'video']) if (senders[kind]) senders[kind].replaceTrack(track(kind) || null);
  await listDevices();
  setState(ui.state.dataset.state);
}

// Device labels are only readable after a first getUserMedia.
async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (select, kind) => {
    const current = track(kind === 'videoinput' ? 'video' : 'audio');
    const inUse = current && current.getSettings().deviceId;
    select.replaceChildren();
    devices.filter((d) => d.kind === kind).forEach((d, i) => {
      select.append(new Option(d.label || `${kind === 'videoinput' ? 'camera' : 'microphone'} ${i + 1}`,
        d.deviceId, false, d.deviceId === inUse));
    });
    if (!select.options.length) select.append(new Option('none found', ''));
  };
  fill(ui.camera, 'videoinput');
  fill(ui.microphone, 'audioinput');
}

// --- joining and leaving ---------------------------------------------------

// What a failed WHIP POST means for the person in front of the screen.
async function joinError(res, room) {
  let body = {};
  try { body = await res.json(); } catch { /* not JSON */ }
  const msg = body.message || res.statusText;
  switch (res.status) {
    case 400:
      return body.error === 'bad_room'
        ? `"${room}" is not a valid room name: use 1 to 64 letters, digits, "-" or "_".`
        : `The server refused the call: ${msg}.`;
    case 401: case 403:
      ui['token-field'].hidden = false; // let them paste one
      if (body.error === 'token_expired') return 'Your join token has expired. Ask the organiser for a new link.';
      if (body.error === 'token_for_another_room') return `Your join token is for another room, not "${room}".`;
      if (ui.token.value.trim()) return 'Your join token is not valid here. Check that it was copied whole, or ask for a new link.';
      return 'This room needs a join token. Paste the one you were given, or ask the organiser for a link with a token.';
    case 404:
      return `There is no room "${room}" on this server, and it does not create rooms on join.`;
    case 503: {
      const wait = res.headers.get('Retry-After');
      return `The server is full: ${msg}.${wait ? ` Try again in ${wait} seconds.` : ''}`;
    }
    default:
      return `The server answered ${res.status}: ${msg}.`;
  }
}

// Non-trickle WHIP: the offer carries all our candidates, so wait for
// gathering (bounded: host candidates take milliseconds).
function gathered(conn, ms) {
  return new Promise((resolve) => {
    if (conn.iceGatheringState === 'complete') return resolve();
    conn.addEventListener('icegatheringstatechange', () => conn.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, ms);
  });
}

function authHeaders() {
  const token = ui.token.value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// The Link header values with rel="ice-server" (RFC 9725, RFC 8288) as
// RTCIceServer objects.
function parseIceLinks(header) {
  const servers = [];
  for (const [, uri, params] of (header || '').matchAll(/<([^>]*)>([^<]*)/g)) {
    const p = {};
    for (const [, key, quoted, bare] of params.matchAll(/;\s*([\w-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]+))/g))
      p[key.toLowerCase()] = quoted !== undefined ? quoted : bare;
    if (p.rel !== 'ice-server') continue;
    const server = { urls: uri };
    if (p.username !== undefined) server.username = p.username;
    if (p.credential !== undefined) server.credential = p.credential;
    servers.push(server);
  }
  return servers;
}

// The STUN/TURN servers the server names for this room: OPTIONS answers
// with them before the offer is made, so relay candidates can be gathered.
async function iceServers(url) {
  try {
    const res = await fetch(url, { method: 'OPTIONS', headers: authHeaders() });
    return parseIceLinks(res.headers.get('Link'));
  } catch {
    return [];
  }
}

async function join() {
  showError('');
  const room = roomName();
  if (!room) { showError('Enter the name of the room to join.'); ui.room.focus(); return; }
  setState('joining');
  const profile = ui.profile.value;
  const url = `/whip/${encodeURIComponent(room)}?` + new URLSearchParams({ profile, name: ui.name.value.trim() });
  // ?ice=relay sends everything through the TURN server (a diagnosis aid).
  const policy = new URLSearchParams(location.search).get('ice') === 'relay' ? 'relay' : 'all';
  const servers = await iceServers(url);
  if (ui.state.dataset.state !== 'joining') return; // left meanwhile
  const conn = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: servers, iceTransportPolicy: policy });
  pc = conn;
  senders = {};
  const remote = new MediaStream();
  ui.remote.srcObject = remote;
  conn.addEventListener('track', (e) => { remote.addTrack(e.track); ui.remote.play().catch(() => {}); });
  conn.addEventListener('connectionstatechange', () => {
    if (conn !== pc) return;
    if (conn.connectionState === 'connected') { showError(''); setState('connected'); }
    if (conn.connectionState !== 'failed') return;
    // Before the first connection there is nothing to ride out; with ICE
    // up, it is DTLS that failed, which a restart does not mend.
    if (ui.state.dataset.state === 'joining') fail('The connection to the server failed (network or firewall).');
    else if (['connected', 'completed'].includes(conn.iceConnectionState))
      fail('The secure connection to the server failed. Join again.');
  });
  conn.addEventListener('iceconnectionstatechange', () => watchIce(conn));
  // Send what we have; receive both kinds in any case.
  for (const kind of ['audio', 'video']) {
    const t = track(kind);
    if (t) senders[kind] = conn.addTransceiver(t, { direction: 'sendrecv', streams: [stream] }).sender;
    else conn.addTransceiver(kind, { direction: 'recvonly' });
  }
  const v = track('video');
  if (v) await v.applyConstraints({ ...CAPTURE[profile], frameRate: 30 }).catch(() => {});
  await conn.setLocalDescription(await conn.createOffer());
  await gathered(conn, 3000);
  if (conn !== pc) return; // left meanwhile

  let res;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp', ...authHeaders() },
      body: conn.localDescription.sdp });
  } catch {
    return fail('The server cannot be reached: check the network connection and try again.');
  }
  if (conn !== pc) { // left while the POST was under way
    if (res.status === 201) fetch(new URL(res.headers.get('Location'), location.href), { method: 'DELETE' }).catch(() => {});
    return;
  }
  if (res.status !== 201) return fail(await joinError(res, room));
  const answer = await res.text();
  session = new URL(res.headers.get('Location'), location.href).href;
  try {
    await conn.setRemoteDescription({ type: 'answer', sdp: answer });
  } catch (e) {
    return fail(`The server's answer could not be used: ${e.message}`);
  }
  history.replaceState(null, '', `/room/${encodeURIComponent(room)}${location.search}`);
  lastSample = null;
  statsTimer = setInterval(showStats, 1000);
  readLayout(room);
}

// Tells the server we are gone; keepalive lets it finish while the page unloads.
function leaveSession() {
  if (session) fetch(session, { method: 'DELETE', keepalive: true }).catch(() => {});
  session = null;
}

function hangUp() {
  leaveSession();
  if (away) clearTimeout(away.timer);
  away = null;
  clearInterval(statsTimer);
  statsTimer = null;
  if (pc) pc.close();
  pc = null;
  senders = {};
  ui.remote.srcObject = null;
}

function fail(msg) {
  hangUp();
  showError(msg);
  setState('failed');
}

function leave() {
  hangUp();
  showError('');
  setState('left');
}

// --- riding out a bad network ------------------------------------------------

// The server keeps a participant whose network fails for media_timeout_s
// (30 s by default) and takes it back on the same path or after an ICE
// restart. ICE 'disconnected' often heals by itself (a short loss): restart
// only after it lasted RESTART_AFTER_MS, or at once when ICE 'failed'; while
// the connection stays lost, try again every RETRY_MS, and give up after
// GIVE_UP_MS (the server will have dropped us by then) or when the server
// no longer knows the session.
const RESTART_AFTER_MS = 3000;
const RETRY_MS = 4000;
const GIVE_UP_MS = 45000;

function watchIce(conn) {
  if (conn !== pc || ui.state.dataset.state === 'joining') return;
  const s = conn.iceConnectionState;
  if (s === 'connected' || s === 'completed') {
    if (away) clearTimeout(away.timer);
    away = null;
    if (ui.state.dataset.state === 'reconnecting') { showError(''); setState('connected'); }
    return;
  }
  if (s !== 'disconnected' && s !== 'failed') return;
  if (!away) {
    away = { since: performance.now(), timer: null, restarting: false };
    setState('reconnecting');
    showError('The connection to the server was interrupted: reconnecting…');
  }
  if (s === 'failed' && !away.restarting) { clearTimeout(away.timer); restartIce(conn); }
  else if (!away.timer && !away.restarting) away.timer = setTimeout(() => restartIce(conn), RESTART_AFTER_MS);
}

// The a= lines of the sdp's first m-section (the bundled transport) whose
// names are in keys.
function sectionLines(sdp, keys) {
  const lines = sdp.split('\r\n');
  const first = lines.findIndex((l) => l.startsWith('m='));
  const next = lines.findIndex((l, i) => i > first && l.startsWith('m='));
  return lines.slice(first, next < 0 ? undefined : next)
    .filter((l) => keys.some((k) => l.startsWith(`a=${k}`)));
}

// ICE restart over WHIP (RFC 9725): new credentials and all our candidates
// in one PATCH (If-Match: *); the server's sdpfrag answer carries its new
// credentials and candidates, which replace those of its answer.
async function restartIce(conn) {
  if (!away || conn !== pc || !session) return;
  away.timer = null;
  if (performance.now() - away.since > GIVE_UP_MS)
    return fail('The connection to the server was lost and could not be restored. Join again when the network is back.');
  away.restarting = true;
  try {
    // The new session's candidates, until gathering ends (bounded): the
    // description may still say 'complete' from the old one.
    const cands = new Set();
    let complete = false;
    const gatheredNew = new Promise((resolve) => {
      const on = (e) => {
        if (e.candidate && e.candidate.candidate) return cands.add(`a=${e.candidate.candidate}`);
        if (!e.candidate) complete = true;
        conn.removeEventListener('icecandidate', on);
        resolve();
      };
      conn.addEventListener('icecandidate', on);
      setTimeout(() => { conn.removeEventListener('icecandidate', on); resolve(); }, 3000);
    });
    conn.restartIce();
    await conn.setLocalDescription(await conn.createOffer());
    await gatheredNew;
    const offer = conn.localDescription.sdp;
    const [ufrag, pwd] = ['ice-ufrag:', 'ice-pwd:'].map((k) => sectionLines(offer, [k])[0]);
    const mline = sectionLines(offer, ['mid:'])[0];
    const frag = [ufrag, pwd, 'm=audio 9 UDP/TLS/RTP/SAVPF 0', mline, ...cands,
      ...(complete ? ['a=end-of-candidates'] : []), ''].join('\r\n');
    const res = await fetch(session, { method: 'PATCH', body: frag,
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' } });
    if (conn !== pc) return;
    if (res.status === 404) return fail('The server ended your session (it had lost you for too long, or you were removed). Join again.');
    if (res.status !== 200) throw new Error(`the server answered ${res.status}`);
    const answer = (await res.text()).split('\r\n');
    const keep = (k) => answer.filter((l) => l.startsWith(`a=${k}`));
    const sdp = conn.remoteDescription.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:'))
      .flatMap((l) => l.startsWith('a=ice-ufrag:') ? keep('ice-ufrag:')
        : l.startsWith('a=ice-pwd:') ? [...keep('ice-pwd:'), ...keep('candidate:')] : [l]).join('\r\n');
    await conn.setRemoteDescription({ type: 'answer', sdp });
  } catch {
    // The network (or the server) is still away: undo the offer, try later.
    if (conn === pc && conn.signalingState === 'have-local-offer')
      await conn.setLocalDescription({ type: 'rollback' }).catch(() => {});
  } finally {
    if (away && conn === pc) {
      away.restarting = false;
      away.timer = setTimeout(() => restartIce(conn), RETRY_MS);
    }
  }
}

// --- in the call -------------------------------------------------------------

function toggleMute() {
  muted = !muted;
  const a = track('audio');
  if (a) a.enabled = !muted; // the sender keeps going with silence: nothing to renegotiate
  ui.mute.setAttribute('aria-pressed', String(muted));
  ui.mute.textContent = muted ? 'Unmute' : 'Mute';
}

function toggleCamera() {
  cameraOff = !cameraOff;
  const v = track('video');
  if (v) v.enabled = !cameraOff; // sends black frames
  ui['camera-off'].setAttribute('aria-pressed', String(cameraOff));
  ui['camera-off'].textContent = cameraOff ? 'Camera on' : 'Camera off';
}

// The room's layout is an operator setting: readable and switchable here
// only when the server has no operator key (or this browser has signed in
// to the console, whose credentials it then sends along).
async function readLayout(room) {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}`);
    if (res.ok) ui.layout.value = (await res.json()).layout;
  } catch { /* not important */ }
}

async function switchLayout() {
  const room = roomName();
  const want = ui.layout.value;
  let res;
  try {
    res = await fetch(`/api/rooms/${encodeURIComponent(room)}`, { method: 'PATCH',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ layout: want }) });
  } catch {
    showError('The server cannot be reached to switch the layout.');
    return;
  }
  if (res.ok) { showError(''); return; }
  ui.layout.value = want === 'grid' ? 'speaker' : 'grid'; // it did not change
  if (res.status === 401 || res.status === 403)
    showError('Switching the layout needs the operator key: ask the operator, or sign in to the console (/admin) in this browser first.');
  else if (res.status === 404)
    showError(`The room "${room}" does not exist yet: join it first.`);
  else
    showError(`The layout could not be switched (${res.status}).`);
}

const kbit = (bytes, ms) => `${Math.round((bytes * 8) / ms)} kbit/s`; // bits per ms = kbit/s

async function showStats() {
  if (!pc) return;
  const report = await pc.getStats();
  let bytesIn = 0, bytesOut = 0, lost = 0, frames = null, size = null, rtt = null, pair = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      bytesIn += s.bytesReceived || 0;
      lost += s.packetsLost || 0;
      if (s.kind === 'video') {
        frames = s.framesDecoded || 0;
        if (s.frameWidth) size = `${s.frameWidth}×${s.frameHeight}`;
      }
    } else if (s.type === 'outbound-rtp') {
      bytesOut += s.bytesSent || 0;
    } else if (s.type === 'transport' && s.selectedCandidatePairId) {
      pair = report.get(s.selectedCandidatePairId);
    } else if (s.type === 'remote-inbound-rtp' && s.roundTripTime !== undefined) {
      rtt = s.roundTripTime; // from RTCP, when the server sends receiver reports
    }
  });
  if (pair && pair.currentRoundTripTime !== undefined) rtt = pair.currentRoundTripTime; // STUN, always there
  const now = performance.now();
  if (lastSample) {
    const ms = now - lastSample.t;
    ui['stat-in'].textContent = kbit(bytesIn - lastSample.bytesIn, ms);
    ui['stat-out'].textContent = kbit(bytesOut - lastSample.bytesOut, ms);
  }
  lastSample = { t: now, bytesIn, bytesOut };
  ui['stat-lost'].textContent = String(lost);
  ui['stat-rtt'].textContent = rtt === null ? '–' : rtt < 0.001 ? '< 1 ms' : `${Math.round(rtt * 1000)} ms`;
  ui['stat-frames'].textContent = frames === null ? '–' : String(frames);
  ui['stat-size'].textContent = size || '–';
}

// --- start -------------------------------------------------------------------

function start() {
  const params = new URLSearchParams(location.search);
  const m = location.pathname.match(/^\/room\/([^/]+)$/);
  ui.room.value = m ? decodeURIComponent(m[1]) : params.get('room') || '';
  ui.name.value = params.get('name') || localStorage.getItem('mcu.name') || '';
  if (['hd', 'sd', 'ld'].includes(params.get('profile'))) ui.profile.value = params.get('profile');
  if (params.get('token')) { ui.token.value = params.get('token'); ui['token-field'].hidden = false; }

  ui.setup.addEventListener('submit', (e) => {
    e.preventDefault();
    localStorage.setItem('mcu.name', ui.name.value.trim());
    join().catch((err) => fail(`Joining failed: ${err.message}`));
  });
  ui.leave.addEventListener('click', leave);
  ui.mute.addEventListener('click', toggleMute);
  ui['camera-off'].addEventListener('click', toggleCamera);
  ui.layout.addEventListener('change', switchLayout);
  ui.camera.addEventListener('change', openMedia);
  ui.microphone.addEventListener('change', openMedia);
  window.addEventListener('pagehide', leaveSession);
  setState('idle');

  if (!window.RTCPeerConnection) {
    showError('This browser cannot make WebRTC calls. Use a current Chrome, Firefox, Edge or Safari.');
    ui.join.disabled = true;
    return;
  }
  // Browsers open cameras only on https:// or http://localhost.
  if (!window.isSecureContext || !navigator.mediaDevices) {
    showError('This page must be opened over https:// (or on localhost) for the browser to allow the camera ' +
      'and microphone. You can still join to watch and listen.');
    return;
  }
  navigator.mediaDevices.addEventListener('devicechange', () => listDevices().catch(() => {}));
  openMedia().catch((e) => showError(mediaError(e)));
}

start();
