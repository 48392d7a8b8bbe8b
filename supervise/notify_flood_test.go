package supervise

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNotifyFloodKeepsReady: beyond the flood limit STATUS= is dropped, but
// the first READY=1 and STOPPING=1 of the second still reach the machine,
// once each; the next second starts afresh.
func TestNotifyFloodKeepsReady(t *testing.T) {
	var log bytes.Buffer
	s := &Supervisor{name: "svc", prog: "supervise", log: &log, in: make(chan Input, 4*notifyBurst), quit: make(chan struct{})}
	n := &notifySocket{s: s}
	t0 := time.Unix(1000, 0)
	for i := range 3 * notifyBurst {
		n.handle([]byte("STATUS=flood "+strconv.Itoa(i)), t0.Add(time.Duration(i)*time.Microsecond))
	}
	in := t0.Add(time.Millisecond)
	n.handle([]byte("STATUS=almost\nREADY=1"), in)
	n.handle([]byte("READY=1"), in)
	n.handle([]byte("STOPPING=1\nREADY=1"), in)
	n.handle([]byte("STOPPING=1"), in)
	close(s.in)
	var status, ready, stopping int
	for got := range s.in {
		switch got.Kind {
		case InStatusText:
			status++
		case InReady:
			ready++
			if !got.Now.Equal(in) {
				t.Errorf("READY posted with time %v, want %v", got.Now, in)
			}
		case InStopping:
			stopping++
		}
	}
	if status != notifyBurst || ready != 1 || stopping != 1 {
		t.Fatalf("posted %d STATUS (want %d), %d READY, %d STOPPING (want 1 each)", status, notifyBurst, ready, stopping)
	}
	if c := strings.Count(log.String(), "flooded"); c != 1 {
		t.Fatalf("%d flood warnings:\n%s", c, log.String())
	}

	// A second later the limit starts again: STATUS counts.
	s.in = make(chan Input, 4)
	n.handle([]byte("STATUS=calm\nREADY=1"), t0.Add(2*time.Second))
	close(s.in)
	var kinds []InputKind
	for got := range s.in {
		kinds = append(kinds, got.Kind)
	}
	if len(kinds) != 2 || kinds[0] != InStatusText || kinds[1] != InReady {
		t.Fatalf("after the flood: %v", kinds)
	}
}
