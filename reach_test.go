package main

import (
	"net"
	"slices"
	"strings"
	"testing"
)

func TestJoinBases(t *testing.T) {
	nets := func(cidrs ...string) []net.Addr {
		var out []net.Addr
		for _, c := range cidrs {
			ip, n, err := net.ParseCIDR(c)
			if err != nil {
				t.Fatal(err)
			}
			n.IP = ip
			out = append(out, n)
		}
		return out
	}
	lan := nets("127.0.0.1/8", "::1/128", "fe80::1/64", "203.0.113.7/24", "192.168.1.20/24", "2001:db8::5/64")
	tests := []struct {
		name, addr string
		addrs      []net.Addr
		want       []string
		problem    string // a word the problem must contain; "" for none
	}{
		{"default localhost", "localhost:8080", lan, nil, "localhost"},
		{"loopback IPv4", "127.0.0.1:8080", lan, nil, "-addr 0.0.0.0:8080"},
		{"loopback IPv6", "[::1]:8080", lan, nil, "localhost"},
		{"all interfaces: private IPv4 first", "0.0.0.0:8080", lan,
			[]string{"http://192.168.1.20:8080", "http://203.0.113.7:8080", "http://[2001:db8::5]:8080"}, ""},
		{"empty host is all interfaces", ":8080", lan,
			[]string{"http://192.168.1.20:8080", "http://203.0.113.7:8080", "http://[2001:db8::5]:8080"}, ""},
		{"IPv6 unspecified", "[::]:8080", lan,
			[]string{"http://192.168.1.20:8080", "http://203.0.113.7:8080", "http://[2001:db8::5]:8080"}, ""},
		{"one chosen address", "192.168.1.20:8080", lan, []string{"http://192.168.1.20:8080"}, ""},
		{"a host name", "lab.example:8080", lan, []string{"http://lab.example:8080"}, ""},
		{"no network but loopback", "0.0.0.0:8080", nets("127.0.0.1/8", "fe80::1/64"), nil, "network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := joinBases(tt.addr, "8080", tt.addrs)
			if !slices.Equal(got, tt.want) {
				t.Errorf("bases = %q, want %q", got, tt.want)
			}
			if (problem == "") != (tt.problem == "") || !strings.Contains(problem, tt.problem) {
				t.Errorf("problem = %q, want one containing %q", problem, tt.problem)
			}
		})
	}
}
