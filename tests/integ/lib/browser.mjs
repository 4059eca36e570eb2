// browser.mjs - Debian's headless Chromium, driven by playwright-core, with a
// fake camera and microphone. Never downloads a browser of its own.
import { chromium } from 'playwright-core';
import fs from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--no-default-browser-check', '--mute-audio',
  '--allow-loopback-in-peer-connection', '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding', '--autoplay-policy=no-user-gesture-required',
  '--disable-quic',
];

export function haveChromium() {
  return fs.existsSync(CHROMIUM);
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// In the page: publishes the fake camera and microphone to url over WHIP
// (non-trickle: the offer carries its loopback candidates) and waits until
// the peer connection is connected. Returns what the page saw.
export async function whipPublish(page, url, { timeoutMs = 15000 } = {}) {
  return page.evaluate(async ({ url, timeoutMs }) => {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true, video: { width: 640, height: 360, frameRate: 30 },
    });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 5000);
    });
    // Keep the test on loopback: offer only 127.0.0.1 candidates.
    const offer = pc.localDescription.sdp.split('\r\n')
      .filter((l) => !l.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(l)).join('\r\n');
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
    const answer = await res.text();
    if (res.status !== 201) return { status: res.status, answer };
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const connected = await new Promise((resolve) => {
      const check = () => pc.connectionState === 'connected' && resolve(true);
      pc.addEventListener('connectionstatechange', check);
      check();
      setTimeout(() => resolve(false), timeoutMs);
    });
    let dtlsState = '';
    let srtpCipher = '';
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'transport') { dtlsState = s.dtlsState; srtpCipher = s.srtpCipher || ''; }
    });
    window.__pc = pc;
    return { status: res.status, location: res.headers.get('Location'), answer, connected,
      connectionState: pc.connectionState, dtlsState, srtpCipher };
  }, { url, timeoutMs });
}

// In the page: publishes over WHIP with trickle ICE (RFC 8840): the offer
// goes out before gathering, and each loopback candidate follows in a PATCH
// with If-Match set to the session's ETag. Then, if restart is set, restarts
// ICE with a PATCH that carries new credentials and applies the server's
// sdpfrag answer. Returns what the page saw at each step.
export async function whipTrickle(page, url, { restart = false, timeoutMs = 15000 } = {}) {
  return page.evaluate(async ({ url, restart, timeoutMs }) => {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true, video: { width: 320, height: 180, frameRate: 15 },
    });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    const queue = [];
    let wake = null;
    pc.addEventListener('icecandidate', (e) => { queue.push(e.candidate); if (wake) wake(); });
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n') });
    const answer = await res.text();
    if (res.status !== 201) return { status: res.status, answer };
    const location = res.headers.get('Location');
    const etag = res.headers.get('ETag');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });

    const creds = () => {
      const sdp = pc.localDescription.sdp;
      return { ufrag: sdp.match(/a=ice-ufrag:(\S+)/)[1], pwd: sdp.match(/a=ice-pwd:(\S+)/)[1],
        mid: pc.getTransceivers()[0].mid };
    };
    const frag = (lines) => {
      const { ufrag, pwd, mid } = creds();
      return `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n` +
        lines.map((l) => `a=${l}\r\n`).join('');
    };
    const patch = (body, ifMatch) => fetch(location, { method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': ifMatch }, body });

    // Trickle until gathering ends (a null candidate), bounded in time.
    const patchStatuses = [];
    const end = Date.now() + 5000;
    for (;;) {
      while (!queue.length && Date.now() < end) await new Promise((r) => { wake = r; setTimeout(r, 200); });
      if (!queue.length) break;
      const c = queue.shift();
      if (c === null) {
        patchStatuses.push((await patch(frag(['end-of-candidates']), etag)).status);
        break;
      }
      if (/ 127\.0\.0\.1 /.test(c.candidate)) patchStatuses.push((await patch(frag([c.candidate]), etag)).status);
    }
    const waitConnected = () => new Promise((resolve) => {
      const check = () => pc.connectionState === 'connected' && resolve(true);
      pc.addEventListener('connectionstatechange', check);
      check();
      setTimeout(() => resolve(false), timeoutMs);
    });
    const connected = await waitConnected();
    const out = { status: res.status, location, etag, answer, patchStatuses, connected };
    if (!restart || !connected) return out;

    // ICE restart: new credentials and candidates in one PATCH (If-Match: *).
    pc.restartIce();
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 5000);
    });
    const cands = pc.localDescription.sdp.split('\r\n')
      .filter((l) => l.startsWith('a=candidate:') && / 127\.0\.0\.1 /.test(l)).map((l) => l.slice(2));
    const r = await patch(frag([...cands, 'end-of-candidates']), '*');
    out.restartStatus = r.status;
    out.restartType = r.headers.get('Content-Type');
    out.restartEtag = r.headers.get('ETag');
    out.restartBody = await r.text();
    if (r.status !== 200) return out;
    const ufrag = out.restartBody.match(/a=ice-ufrag:(\S+)/)[1];
    const pwd = out.restartBody.match(/a=ice-pwd:(\S+)/)[1];
    const newCands = out.restartBody.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    const sdp = pc.remoteDescription.sdp.split('\r\n')
      .filter((l) => !l.startsWith('a=candidate:'))
      .map((l) => l.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${ufrag}`
        : l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwd}`
          : l === 'a=end-of-candidates' ? [...newCands, l].join('\r\n') : l).join('\r\n');
    await pc.setRemoteDescription({ type: 'answer', sdp });
    // Connected again on the new ICE session: the transport's selected pair
    // must use our new ufrag (the old pair may stay up while checks run).
    const myUfrag = creds().ufrag;
    const until = Date.now() + timeoutMs;
    out.restartConnected = false;
    while (!out.restartConnected && Date.now() < until) {
      (await pc.getStats()).forEach((st) => {
        if (st.type === 'transport' && st.iceLocalUsernameFragment === myUfrag &&
            st.iceState === 'connected' && st.dtlsState === 'connected') out.restartConnected = true;
      });
      if (!out.restartConnected) await new Promise((r) => setTimeout(r, 100));
    }
    out.oldEtagStatus = (await patch(frag(['end-of-candidates']), etag)).status;
    window.__pc = pc;
    return out;
  }, { url, restart, timeoutMs });
}

// In the page: joins url (WHIP or WHEP) as a distinct participant. A sender
// sends a canvas of one solid colour and a WebAudio tone of one frequency;
// every page plays what it receives into a <video> and an AnalyserNode.
// Resolves once the peer connection is connected. State lives on window.mcu.
// videoCodec (e.g. 'video/VP8') restricts what the page offers to send;
// iceServers and iceTransportPolicy go to the RTCPeerConnection.
export async function joinRoom(page, url, { color = null, freq = null, videoCodec = null, timeoutMs = 15000,
  iceServers = [], iceTransportPolicy = 'all' } = {}) {
  return page.evaluate(async ({ url, color, freq, videoCodec, timeoutMs, iceServers, iceTransportPolicy }) => {
    const t0 = performance.now();
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers, iceTransportPolicy });
    const ac = new AudioContext({ sampleRate: 48000 });
    const state = { pc, ac, firstFrameMs: null, frames: 0 };
    window.mcu = state;
    if (color) {
      const canvas = document.createElement('canvas');
      canvas.width = 640; canvas.height = 360;
      const g = canvas.getContext('2d');
      // captureStream emits a frame only when the canvas is drawn: keep drawing.
      const draw = () => { g.fillStyle = color; g.fillRect(0, 0, 640, 360); };
      draw();
      state.drawTimer = setInterval(draw, 33);
      const osc = ac.createOscillator();
      osc.frequency.value = freq;
      const gain = ac.createGain();
      gain.gain.value = 0.25;
      const dest = ac.createMediaStreamDestination();
      osc.connect(gain).connect(dest);
      osc.start();
      const stream = new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...dest.stream.getAudioTracks()]);
      for (const track of stream.getTracks()) {
        const tr = pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
        if (videoCodec && track.kind === 'video') {
          tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs
            .filter((c) => c.mimeType === videoCodec));
        }
      }
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.playsInline = true;
    document.body.appendChild(video);
    const remote = new MediaStream();
    video.srcObject = remote;
    state.video = video;
    pc.addEventListener('track', (e) => {
      remote.addTrack(e.track);
      if (e.track.kind === 'audio') {
        // Chromium feeds a remote track to WebAudio only while a media
        // element plays it too.
        const audio = new Audio();
        audio.muted = true; audio.srcObject = new MediaStream([e.track]); audio.play().catch(() => {});
        state.audioEl = audio;
        const src = ac.createMediaStreamSource(new MediaStream([e.track]));
        const an = ac.createAnalyser();
        an.fftSize = 8192; an.smoothingTimeConstant = 0.5;
        src.connect(an);
        state.analyser = an;
      }
    });
    const onFrame = () => {
      state.frames++;
      if (state.firstFrameMs === null) state.firstFrameMs = performance.now() - state.postAt;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    video.play().catch(() => {});
    await ac.resume();

    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 5000);
    });
    const offer = pc.localDescription.sdp.split('\r\n')
      .filter((l) => !l.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(l)).join('\r\n');
    state.postAt = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
    const answer = await res.text();
    if (res.status !== 201) return { status: res.status, answer };
    state.location = res.headers.get('Location');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const connected = await new Promise((resolve) => {
      const check = () => pc.connectionState === 'connected' && resolve(true);
      pc.addEventListener('connectionstatechange', check);
      check();
      setTimeout(() => resolve(false), timeoutMs);
    });
    const links = res.headers.get('Link');
    return { status: res.status, location: state.location, connected, setupMs: performance.now() - t0, links };
  }, { url, color, freq, videoCodec, timeoutMs, iceServers, iceTransportPolicy });
}

// In the page: the selected ICE candidate pair's local and remote
// candidates ({ protocol, candidateType, address, port, relayProtocol }).
export async function selectedPair(page) {
  return page.evaluate(async () => {
    const stats = await window.mcu.pc.getStats();
    let pairId = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    const pair = pairId && stats.get(pairId);
    if (!pair) return null;
    const pick = (c) => c && { protocol: c.protocol, candidateType: c.candidateType, address: c.address,
      port: c.port, relayProtocol: c.relayProtocol, tcpType: c.tcpType };
    return { state: pair.state, local: pick(stats.get(pair.localCandidateId)),
      remote: pick(stats.get(pair.remoteCandidateId)) };
  });
}

// In the page: what the received video and audio hold now. colors: CSS
// names -> [r,g,b]; freqs: Hz. Returns, per colour, the share of sampled
// pixels within tol of it, and per frequency the analyser's level in dB.
export async function observe(page, colors, freqs, { tol = 60 } = {}) {
  return page.evaluate(({ colors, freqs, tol }) => {
    const s = window.mcu;
    const v = s.video;
    const out = { width: v.videoWidth, height: v.videoHeight, frames: s.frames,
      firstFrameMs: s.firstFrameMs, colors: {}, tones: {} };
    if (v.videoWidth) {
      const c = document.createElement('canvas');
      c.width = 160; c.height = 90;
      const g = c.getContext('2d');
      g.drawImage(v, 0, 0, 160, 90);
      const px = g.getImageData(0, 0, 160, 90).data;
      for (const [name, rgb] of Object.entries(colors)) {
        let hit = 0;
        for (let i = 0; i < px.length; i += 4)
          if (Math.abs(px[i] - rgb[0]) < tol && Math.abs(px[i + 1] - rgb[1]) < tol && Math.abs(px[i + 2] - rgb[2]) < tol) hit++;
        out.colors[name] = hit / (px.length / 4);
      }
    }
    if (s.analyser) {
      const an = s.analyser;
      const data = new Float32Array(an.frequencyBinCount);
      an.getFloatFrequencyData(data);
      const hz = s.ac.sampleRate / an.fftSize;
      for (const f of freqs) {
        const bin = Math.round(f / hz);
        let peak = -Infinity;
        for (let b = bin - 3; b <= bin + 3; b++) peak = Math.max(peak, data[b]);
        out.tones[f] = peak;
      }
    }
    return out;
  }, { colors, freqs, tol });
}

// In the page: the inbound video's getStats figures.
export async function inboundVideo(page) {
  return page.evaluate(async () => {
    let r = null;
    (await window.mcu.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        r = { framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
          packetsLost: s.packetsLost, keyFramesDecoded: s.keyFramesDecoded };
      }
    });
    return r;
  });
}
