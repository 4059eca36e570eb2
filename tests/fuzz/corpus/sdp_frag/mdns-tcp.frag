a=candidate:2 1 tcp 1518214911 6f3e-4a.local 9 typ host tcptype active
a=candidate:3 1 udp 1 ::1 9 typ relay raddr :: rport 0
