"""aiortc_peer.py - a WebRTC participant that is not a browser (aiortc, the
Debian package python3-aiortc). Joins url over WHIP (non-trickle: the
offer carries its candidates) sending aiortc's synthetic picture and
silence, counts the frames it receives, and prints one JSON line per
half second: {"t", "status", "location", "ice", "video", "audio"}.
Runs for seconds (argv[2]), then closes and prints {"done": true}.

Usage: aiortc_peer.py URL SECONDS
"""
import asyncio
import json
import sys
import time
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack


def emit(**kw):
    print(json.dumps(kw), flush=True)


def post(url, sdp):
    req = urllib.request.Request(url, data=sdp.encode(), method='POST',
                                 headers={'Content-Type': 'application/sdp'})
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status, res.headers.get('Location'), res.read().decode()


async def count(track, counts):
    while True:
        try:
            await track.recv()
        except Exception:  # the track ended
            return
        counts[track.kind] += 1


async def main(url, seconds):
    pc = RTCPeerConnection()  # offers BUNDLE; the server's answer takes it
    counts = {'video': 0, 'audio': 0}
    tasks = []
    pc.on('track', lambda track: tasks.append(asyncio.ensure_future(count(track, counts))))
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(VideoStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())  # gathers: candidates in the offer
    loop = asyncio.get_running_loop()
    status, location, answer = await loop.run_in_executor(None, post, url, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type='answer'))
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        emit(t=round(time.monotonic() - start, 2), status=status, location=location,
             ice=pc.iceConnectionState, video=counts['video'], audio=counts['audio'])
        await asyncio.sleep(0.5)
    await pc.close()
    for t in tasks:
        t.cancel()
    emit(done=True)


if __name__ == '__main__':
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
