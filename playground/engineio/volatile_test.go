package engineio

import "testing"

func TestSendVolatile(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(s *Session)
		wantSent bool
	}{
		{"idle websocket", func(s *Session) { s.transport = transportWebSocket }, true},
		{"websocket with a backlog", func(s *Session) {
			s.transport = transportWebSocket
			s.queue = append(s.queue, outPacket{typ: typeMessage})
		}, false},
		{"polling with a GET waiting", func(s *Session) { s.transport = transportPolling; s.getActive = true }, true},
		{"polling with no GET", func(s *Session) { s.transport = transportPolling }, false},
		{"upgrading", func(s *Session) { s.transport = transportPolling; s.getActive = true; s.probe = &wsConn{} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(Options{})
			defer srv.Close()
			s := &Session{srv: srv, pollWake: make(chan struct{}, 1)}
			tt.setup(s)
			before := len(s.queue)
			sent, err := s.SendVolatile(Prepare(Message{Data: []byte("2[\"tick\"]")}))
			if err != nil {
				t.Fatal(err)
			}
			if sent != tt.wantSent || (len(s.queue) > before) != tt.wantSent {
				t.Errorf("sent = %v (queue %d → %d), want %v", sent, before, len(s.queue), tt.wantSent)
			}
		})
	}
}
