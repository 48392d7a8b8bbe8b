package inotify

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func record(wd int32, mask uint32, name string, pad int) []byte {
	n := len(name) + pad
	b := make([]byte, HeaderSize+n)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[HeaderSize:], name)
	return b
}

func TestParse(t *testing.T) {
	buf := append(record(1, unix.IN_MOVED_TO, "web", 5), record(-1, unix.IN_Q_OVERFLOW, "", 0)...)
	buf = append(buf, record(7, unix.IN_ISDIR|0x100, "x", 15)...)
	evs, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{1, unix.IN_MOVED_TO, "web"}, {-1, unix.IN_Q_OVERFLOW, ""}, {7, unix.IN_ISDIR | 0x100, "x"}}
	if len(evs) != len(want) {
		t.Fatalf("got %v, want %v", evs, want)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: got %+v, want %+v", i, evs[i], want[i])
		}
	}
	if evs[0].Overflow() || !evs[1].Overflow() || evs[2].Overflow() {
		t.Errorf("Overflow: %v %v %v", evs[0].Overflow(), evs[1].Overflow(), evs[2].Overflow())
	}
	// Cut short: in the header, then in the name.
	for _, cut := range []int{3, len(buf) - 2} {
		evs, err := Parse(buf[:cut])
		if err != ErrTruncated {
			t.Errorf("cut at %d: error %v, want ErrTruncated", cut, err)
		}
		if cut > len(record(1, 0, "web", 5)) && len(evs) != 2 {
			t.Errorf("cut at %d: %d events before the cut, want 2", cut, len(evs))
		}
	}
}

// TestWatcher reads real events from the kernel: a directory made, a
// symlink, and the IN_IGNORED of a watch removed.
func TestWatcher(t *testing.T) {
	dir := t.TempDir()
	w, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	wd, err := w.Add(dir, unix.IN_CREATE|unix.IN_MOVED_TO)
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
		case evs := <-w.Events():
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
	if got["made"]&unix.IN_ISDIR == 0 {
		t.Errorf("mkdir: mask %#x has no IN_ISDIR", got["made"])
	}
	if got["link"]&unix.IN_ISDIR != 0 {
		t.Errorf("symlink: mask %#x has IN_ISDIR", got["link"])
	}
	if err := w.Remove(wd); err != nil {
		t.Fatal(err)
	}
	select {
	case evs := <-w.Events():
		if len(evs) != 1 || !evs[0].Ignored() || evs[0].Wd != wd {
			t.Errorf("after Remove: %+v", evs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no IN_IGNORED after Remove")
	}
	w.Close()
	select {
	case _, ok := <-w.Events():
		for ok {
			_, ok = <-w.Events()
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Events not closed after Close")
	}
}

// TestOverflow fills the kernel's queue (fs.inotify.max_queued_events)
// without reading: the last event read is the overflow.
func TestOverflow(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		t.Skip(err)
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || max > 1<<17 {
		t.Skipf("max_queued_events %q: too many to fill in a test", b)
	}
	dir := t.TempDir()
	w, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Add(dir, unix.IN_CREATE); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < max+10; i++ {
		if err := os.Mkdir(filepath.Join(dir, strconv.Itoa(i)), 0755); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 64<<10)
	n, overflow := 0, false
	for !overflow {
		evs, err := w.ReadTimeout(buf, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			t.Fatalf("%d events and no overflow", n)
		}
		for _, ev := range evs {
			if ev.Overflow() {
				overflow = true
				if ev.Wd != -1 {
					t.Errorf("overflow for wd %d", ev.Wd)
				}
			} else {
				n++
			}
		}
	}
	if n != max {
		t.Errorf("%d events before the overflow, want %d", n, max)
	}
	// Nothing more is queued: ReadTimeout returns empty-handed.
	if evs, err := w.ReadTimeout(buf, 50*time.Millisecond); err != nil || len(evs) != 0 {
		t.Errorf("after the overflow: %v %v", evs, err)
	}
}

func TestReadTimeoutAndMinBuffer(t *testing.T) {
	w, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dir := t.TempDir()
	if _, err := w.Add(dir, unix.IN_CREATE); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if evs, err := w.ReadTimeout(make([]byte, MinBuffer), 100*time.Millisecond); err != nil || evs != nil {
		t.Fatalf("nothing happened: %v %v", evs, err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("returned after %v", el)
	}
	long := strings.Repeat("n", unix.NAME_MAX)
	if err := os.WriteFile(filepath.Join(dir, long), nil, 0644); err != nil {
		t.Fatal(err)
	}
	evs, err := w.ReadTimeout(make([]byte, MinBuffer), 5*time.Second)
	if err != nil || len(evs) != 1 || evs[0].Name != long {
		t.Fatalf("longest name in the smallest buffer: %v %v", evs, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(record(1, unix.IN_MOVED_TO, "web", 5))
	f.Add(append(record(1, 0, "", 0), record(2, 0, "abc", 1)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := Parse(b)
		total := 0
		for _, ev := range evs {
			total += HeaderSize + len(ev.Name)
			if strings.IndexByte(ev.Name, 0) >= 0 {
				t.Fatalf("NUL in name %q", ev.Name)
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
