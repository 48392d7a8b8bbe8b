package state

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "supervise"), 0700); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 1, 2, 3, 456789, time.UTC)
	s := &Status{State: Up, Pid: 42, Since: now, Ready: true, ReadySince: &now, StatusText: "serving",
		NormallyUp: true, Want: WantUp, LastExit: &Exit{Code: -1, Signal: 9, Time: now}, Restarts: 3, Flapping: true}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("got %+v\nwant %+v", got, s)
	}
	if _, err := os.Stat(filepath.Join(dir, File+".new")); !os.IsNotExist(err) {
		t.Fatal("status.json.new left behind")
	}
	b, _ := os.ReadFile(filepath.Join(dir, File))
	for _, key := range []string{`"state":"up"`, `"pid":42`, `"since":"2026-11-24T01:02:03.000456789Z"`, `"ready":true`, `"want":"up"`, `"last_exit":{"code":-1,"signal":9`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("%s missing in %s", key, b)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{"", "{", `{"state":"sideways"}`, `{"state":"up","pid":"x"}`, "null"} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	big := make([]byte, MaxSize+1)
	if _, err := Decode(big); err != ErrTooBig {
		t.Errorf("big: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"state":"up","pid":1,"since":"2026-01-01T00:00:00Z","ready":false,"normally_up":true,"want":"up","paused":false,"restarts":0,"flapping":false}`))
	f.Add([]byte(`{"state":"down","last_exit":{"code":1,"signal":0,"time":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes re-encodes and decodes to the same value.
		e, err := Encode(s)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		s2, err := Decode(e)
		if err != nil {
			t.Fatalf("re-decode %s: %v", e, err)
		}
		if !reflect.DeepEqual(norm(s), norm(s2)) {
			t.Fatalf("round trip\n%+v\n%+v", s, s2)
		}
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err == nil && buf.String() != string(e) {
			t.Fatalf("hand %s\njson %s", e, buf.String())
		}
	})
}

// norm drops monotonic and location details that JSON does not keep.
func norm(s *Status) Status {
	c := *s
	c.Since = c.Since.UTC()
	if c.ReadySince != nil {
		r := c.ReadySince.UTC()
		c.ReadySince = &r
	}
	if c.LastExit != nil {
		e := *c.LastExit
		e.Time = e.Time.UTC()
		c.LastExit = &e
	}
	return c
}

// The hand-written Encode gives what encoding/json gives (HTML escaping aside).
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 11, 24, 1, 2, 3, 4, time.FixedZone("x", 3600))
	for _, s := range []*Status{
		{State: Down},
		{State: Up, Pid: 9, Since: now, Ready: true, ReadySince: &now, StatusText: "a\"b\\c\nd\te\x01 é \u2028 \xff",
			NormallyUp: true, Want: WantDown, Paused: true, LastExit: &Exit{Code: 256, Signal: 15, Time: now},
			Restarts: 7, Flapping: true, Stopping: true, Supervisor: 12},
		{State: Up, Pid: 9, Since: now, Want: WantUp, LastExit: &Exit{Code: -1, Time: now, Unknown: true},
			Supervisor: 12, PidStart: 123456789, SupervisorStart: 42, BootID: "0b1f-\"x", NotifySocket: "@0001f"},
	} {
		got, _ := Encode(s)
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if string(got) != buf.String() {
			t.Errorf("hand:\n%s\nencoding/json:\n%s", got, buf.String())
		}
	}
}

// Each Want has one value and its three spellings: the 18-byte file's
// byte, status.json's word and journald's SVC_WANT.
func TestWantSpellings(t *testing.T) {
	for _, c := range []struct {
		w             Want
		b             byte
		name, journal string
	}{{WantUp, 'u', "up", "up"}, {WantDown, 'd', "down", "down"}, {WantOnce, 0, "", "once"}} {
		if c.w.Byte() != c.b || c.w.Name() != c.name || c.w.JournalName() != c.journal || WantOfByte(c.b) != c.w {
			t.Errorf("%q: byte %q name %q journal %q", c.b, c.w.Byte(), c.w.Name(), c.w.JournalName())
		}
		var back Want = 'x'
		if err := back.UnmarshalText([]byte(c.name)); err != nil || back != c.w {
			t.Errorf("%q: unmarshal %q gives %q, %v", c.b, c.name, back, err)
		}
	}
	// svstat's reading of a foreign byte: neither up nor down.
	if w := WantOfByte('x'); w != WantOnce || Want('x').Name() != "" || Want('x').Byte() != 0 {
		t.Errorf("foreign byte: %q", w)
	}
	var w Want
	if err := w.UnmarshalText([]byte("sideways")); err != ErrBadWant {
		t.Errorf("sideways: %v", err)
	}
	if _, err := Decode([]byte(`{"state":"up","want":"sideways"}`)); err == nil {
		t.Error("unknown want accepted")
	}
}

// SVC_NORMALLY is the JournalName of the want a supervisor starts with,
// as status.json's normally_up says.
func TestNormally(t *testing.T) {
	if Normally(true) != WantUp || Normally(true).JournalName() != "up" || Normally(false) != WantDown || Normally(false).JournalName() != "down" {
		t.Errorf("normally up %q, down %q", Normally(true), Normally(false))
	}
}

// The states of status.json are the only ones Decode accepts; the words
// only SVC_STATE says are refused there.
func TestStateWords(t *testing.T) {
	for _, c := range []struct {
		s    State
		word string
		json bool
	}{{Up, "up", true}, {Down, "down", true}, {Finish, "finish", true}, {Starting, "starting", true},
		{Unknown, "unknown", false}, {Ready, "ready", false}, {Stopping, "stopping", false}, {Flapping, "flapping", false},
		{Restarting, "restarting", false}, {Unsupervised, "unsupervised", false}} {
		if c.s.String() != c.word {
			t.Errorf("%q says %q", c.word, c.s.String())
		}
		b, err := Encode(&Status{State: c.s})
		if err != nil || !strings.HasPrefix(string(b), `{"state":"`+c.word+`"`) {
			t.Errorf("%s: encoded %s, %v", c.word, b, err)
		}
		if _, err := Decode(b); (err == nil) != c.json {
			t.Errorf("%s: decode: %v", c.word, err)
		}
	}
}

// The 18-byte file is a projection of the model, and From18 reads back
// what it holds.
func TestStatus18(t *testing.T) {
	now := time.Date(2026, 11, 24, 1, 2, 3, 456789000, time.UTC)
	s := &Status{State: Up, Pid: 77, Since: now, Paused: true, Want: WantDown, Ready: true, Restarts: 4}
	r := s.Status18()
	b := r.Encode()
	if r.Pid != 77 || !r.Paused || b[16] != 1 || b[17] != 'd' || !r.When.Time().Equal(now) {
		t.Fatalf("18 bytes % x from %+v", b, r)
	}
	back := From18(r)
	if back.State != Up || back.Pid != 77 || !back.Paused || back.Want != WantDown || !back.Since.Equal(now) || back.Ready || back.Restarts != 0 {
		t.Fatalf("from 18: %+v", back)
	}
	// No pid: not paused in the 18 bytes (as daemontools writes them), down.
	s = &Status{State: Finish, Since: now, Paused: true, Want: WantOnce}
	if b := s.Status18().Encode(); b[16] != 0 || b[17] != 0 {
		t.Fatalf("down: % x", b)
	}
	if back := From18(s.Status18()); back.State != Down || back.Want != WantOnce {
		t.Fatalf("down from 18: %+v", back)
	}
	// Set18 keeps what status.json alone knows.
	js := &Status{State: Starting, Pid: 5, Since: now.Add(time.Second), Ready: true, StatusText: "x", Restarts: 2}
	js.Set18(s.Status18())
	if js.Pid != 0 || !js.Since.Equal(now) || js.State != Starting || !js.Ready || js.StatusText != "x" || js.Restarts != 2 {
		t.Fatalf("set18: %+v", js)
	}
}
