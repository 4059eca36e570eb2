// udpblocked.mjs - run inside a network namespace whose loopback drops
// every UDP datagram (tests/integ/icetcp.test.mjs makes it): starts mcu,
// joins a room from Chromium with a sender and a viewer, and prints one JSON
// line of what happened (the selected candidate pairs, the frames and
// colours received, the server's view of the participants). Asserting is the
// caller's job, outside the namespace.
import { startMcu } from './mcu.mjs';
import { launchBrowser, joinRoom, observe, selectedPair } from './browser.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = { joins: [], pairs: [], seen: null, participants: null, exit: null, error: null };
let mcu = null;
let browser = null;
try {
  mcu = await startMcu(['--ice_tcp=true']);
  browser = await launchBrowser();
  const sender = await browser.newPage();
  const viewer = await browser.newPage();
  await sender.goto(`${mcu.base}/api/health`);
  await viewer.goto(`${mcu.base}/api/health`);
  out.joins.push(await joinRoom(sender, '/whip/tcproom?name=sender', { color: '#ff0000', freq: 440 }));
  out.joins.push(await joinRoom(viewer, '/whep/tcproom?name=viewer'));
  await sleep(3000);
  out.pairs.push(await selectedPair(sender), await selectedPair(viewer));
  out.seen = await observe(viewer, { red: [255, 0, 0] }, [440]);
  out.participants = (await mcu.api('GET', '/api/rooms/tcproom')).json.participants;
  await browser.close();
  browser = null;
  out.exit = (await mcu.stop()).code;
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (mcu) await mcu.stop().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + '\n');
