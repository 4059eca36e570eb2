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
