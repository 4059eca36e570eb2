a=ice-ufrag:Qw7z
a=ice-pwd:K3n8mPq2Rt6vXy0Zb4Cd9FgH
m=audio 9 UDP/TLS/RTP/SAVPF 0
a=mid:0
a=candidate:3305813740 1 udp 2122260223 192.0.2.7 55012 typ host generation 0 ufrag Qw7z network-id 1
a=candidate:1920585146 1 udp 1686052607 198.51.100.7 55012 typ srflx raddr 192.0.2.7 rport 55012 generation 0 ufrag Qw7z network-id 1
a=end-of-candidates
