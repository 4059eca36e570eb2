a=mid:0
a=candidate:1 1 udp 2122260223 192.0.2.8 5000 typ host
