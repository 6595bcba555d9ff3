package main

import (
	"net"
	"net/netip"
	"slices"
	"strings"
)

// joinBases is where students' devices can reach a server listening on addr (host:port) when no
// -public-url is given: the machine's own network addresses, best first (private IPv4 such as a
// classroom Wi-Fi's 192.168.x.y, then other IPv4, then global IPv6), each as http://IP:port.
// problem says why there is none: the server listens on loopback only, or the machine has no
// address but loopback. addrs is the machine's interface addresses (net.InterfaceAddrs).
func joinBases(addr, port string, addrs []net.Addr) (bases []string, problem string) {
	host, _, _ := net.SplitHostPort(addr)
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && !ip.IsUnspecified() {
		if ip.IsLoopback() {
			return nil, loopbackProblem(port)
		}
		return []string{"http://" + net.JoinHostPort(ip.String(), port)}, ""
	}
	if host == "localhost" {
		return nil, loopbackProblem(port)
	}
	if host != "" && net.ParseIP(host) == nil { // a name: the instructor chose it
		return []string{"http://" + net.JoinHostPort(host, port)}, ""
	}
	var ips []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr().Unmap()
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
			continue
		}
		ips = append(ips, ip)
	}
	rank := func(ip netip.Addr) int {
		switch {
		case ip.Is4() && ip.IsPrivate():
			return 0
		case ip.Is4():
			return 1
		default:
			return 2
		}
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int { return rank(a) - rank(b) })
	for _, ip := range ips {
		bases = append(bases, "http://"+net.JoinHostPort(ip.String(), port))
	}
	if len(bases) == 0 {
		return nil, "This computer has no network address but localhost, so students' devices cannot reach it: connect it to the network the students use (the classroom Wi-Fi), then reload this page."
	}
	return bases, ""
}

func loopbackProblem(port string) string {
	return "Students' devices cannot reach this server: it listens on this computer only (localhost). Restart it with: socketlab serve -addr 0.0.0.0:" + port + " (or give -public-url)."
}
