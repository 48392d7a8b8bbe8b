package scan

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func record(wd int32, mask uint32, name string, pad int) []byte {
	n := len(name) + pad
	b := make([]byte, inotifyHeader+n)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[inotifyHeader:], name)
	return b
}

func TestParseInotify(t *testing.T) {
	buf := append(record(1, maskMovedTo, "web", 5), record(-1, maskOverflow, "", 0)...)
	buf = append(buf, record(7, maskIsDir|0x100, "x", 15)...)
	evs, err := parseInotify(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []inotifyEvent{{1, maskMovedTo, "web"}, {-1, maskOverflow, ""}, {7, maskIsDir | 0x100, "x"}}
	if len(evs) != len(want) {
		t.Fatalf("got %v, want %v", evs, want)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: got %+v, want %+v", i, evs[i], want[i])
		}
	}
	// Cut short: in the header, then in the name.
	for _, cut := range []int{3, len(buf) - 2} {
		evs, err := parseInotify(buf[:cut])
		if err == nil {
			t.Errorf("cut at %d: no error", cut)
		}
		if cut > len(record(1, 0, "web", 5)) && len(evs) != 2 {
			t.Errorf("cut at %d: %d events before the cut, want 2", cut, len(evs))
		}
	}
}

// TestWatcher reads real events from the kernel through the parser.
func TestWatcher(t *testing.T) {
	dir := t.TempDir()
	w, err := newWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	wd, err := w.add(dir, maskScanDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "made"), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	deadline := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case evs := <-w.C:
			for _, ev := range evs {
				if ev.Wd != wd {
					t.Errorf("event for wd %d, want %d", ev.Wd, wd)
				}
				got[ev.Name] = ev.Mask
			}
		case <-deadline:
			t.Fatalf("events so far: %v", got)
		}
	}
	if got["made"]&maskIsDir == 0 {
		t.Errorf("mkdir: mask %#x has no IN_ISDIR", got["made"])
	}
	if got["link"]&maskIsDir != 0 {
		t.Errorf("symlink: mask %#x has IN_ISDIR", got["link"])
	}
}

func FuzzParseInotify(f *testing.F) {
	f.Add(record(1, maskMovedTo, "web", 5))
	f.Add(append(record(1, 0, "", 0), record(2, 0, "abc", 1)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := parseInotify(b)
		total := 0
		for _, ev := range evs {
			total += inotifyHeader + len(ev.Name)
			for i := 0; i < len(ev.Name); i++ {
				if ev.Name[i] == 0 {
					t.Fatalf("NUL in name %q", ev.Name)
				}
			}
		}
		if total > len(b) {
			t.Fatalf("events cover %d bytes of %d", total, len(b))
		}
		if err == nil && len(b) > 0 && len(evs) == 0 {
			t.Fatal("no error and no event from non-empty input")
		}
	})
}

func TestFindSupervise(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	dir := t.TempDir()
	exe := filepath.Join(dir, "svbridge")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0755); err != nil {
		t.Fatal(err)
	}
	// No lean supervise beside it: the multi-call binary under that name.
	if l := FindSupervise(env(nil), exe); l.Path != exe || len(l.Argv) != 1 || l.Argv[0] != "supervise" {
		t.Errorf("without a lean binary: %+v", l)
	}
	lean := filepath.Join(dir, "supervise")
	if err := os.WriteFile(lean, []byte("#!/bin/sh\n"), 0644); err != nil {
		t.Fatal(err)
	}
	if l := FindSupervise(env(nil), exe); l.Path != exe {
		t.Errorf("a non-executable supervise was picked: %+v", l)
	}
	os.Chmod(lean, 0755)
	if l := FindSupervise(env(nil), exe); l.Path != lean {
		t.Errorf("lean binary not picked: %+v", l)
	}
	if l := FindSupervise(env(map[string]string{EnvSupervise: "/usr/bin/supervise"}), exe); l.Path != "/usr/bin/supervise" {
		t.Errorf("override not honoured: %+v", l)
	}
	if got := (Launcher{Path: lean, Argv: []string{"supervise"}}).argv("web"); len(got) != 2 || got[1] != "web" {
		t.Errorf("argv: %q", got)
	}
}
