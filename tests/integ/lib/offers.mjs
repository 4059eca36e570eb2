// offers.mjs - SDP offers in the shape WebRTC stacks and plain-RTP
// endpoints send, for tests that need an offer without a browser or a
// media player (bad-input tests, API tests).
export function webrtcOffer({ fingerprint = true, audioCodec = 'opus', videoCodec = 'H264',
  bundle = true, direction = 'sendrecv' } = {}) {
  const fp = 'a=fingerprint:sha-256 3D:1B:7C:25:86:0F:6A:E4:52:D1:22:0B:7E:4A:9C:36:1F:8E:66:A7:10:3B:C9:E4:50:5D:8A:21:44:B6:0C:F1';
  const audio = audioCodec === 'opus'
    ? ['a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1']
    : ['a=rtpmap:9 G722/8000'];
  const video = videoCodec === 'H264'
    ? ['a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 nack', 'a=rtcp-fb:102 nack pli',
      'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f']
    : ['a=rtpmap:45 AV1/90000'];
  const pt = (lines) => lines[0].match(/rtpmap:(\d+)/)[1];
  const common = (mid) => [
    'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:Tq3v', 'a=ice-pwd:9aZ2bJf0wP1Qk3l4m5n6o7p8',
    'a=ice-options:trickle', ...(fingerprint ? [fp] : []), 'a=setup:actpass', `a=mid:${mid}`,
    `a=${direction}`, 'a=rtcp-mux',
  ];
  return [
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    ...(bundle ? ['a=group:BUNDLE 0 1'] : []), 'a=msid-semantic: WMS stream',
    `m=audio 9 UDP/TLS/RTP/SAVPF ${pt(audio)}`, ...common('0'),
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level', ...audio,
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0',
    `m=video 9 UDP/TLS/RTP/SAVPF ${pt(video)}`, ...common('1'), ...video,
    '',
  ].join('\r\n');
}

// A plain-RTP endpoint's offer: H.264 video on port and PCMU audio on
// port + 2 (audioPort when given), at addr, received only unless told.
export function legacyOffer(port, { addr = '127.0.0.1', direction = 'recvonly', audioPort = port + 2 } = {}) {
  const ip = addr.includes(':') ? 'IP6' : 'IP4';
  return ['v=0', `o=- 1 1 IN ${ip} ${addr}`, 's=legacy', `c=IN ${ip} ${addr}`, 't=0 0',
    `m=video ${port} RTP/AVP 96`, 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', `a=${direction}`,
    `m=audio ${audioPort} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', `a=${direction}`, ''].join('\r\n');
}
