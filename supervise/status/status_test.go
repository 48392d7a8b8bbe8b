package status

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/tai64n"
)

func TestEncodeLayout(t *testing.T) {
	s := Status{When: tai64n.FromTime(time.Unix(1700000000, 5)), Pid: 0x01020304, Paused: true, Want: WantDown}
	b := s.Encode()
	want := []byte{0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a, 0, 0, 0, 5, 4, 3, 2, 1, 1, 'd'}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("got % x\nwant % x", b, want)
	}
	d, err := Decode(b[:])
	if err != nil || d != s {
		t.Fatalf("decode %+v %v", d, err)
	}
}

func TestPausedOnlyWithPid(t *testing.T) {
	b := Status{Paused: true}.Encode()
	if b[16] != 0 {
		t.Fatal("paused flag written without a pid")
	}
}

func TestDecodeSize(t *testing.T) {
	for _, n := range []int{0, 17, 19, 40} {
		if _, err := Decode(make([]byte, n)); err != ErrSize {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "supervise"), 0700)
	s := Status{Pid: 42, Want: WantUp}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if d, _ := Decode(b); d != s {
		t.Fatalf("read back %+v", d)
	}
	if _, err := os.Stat(filepath.Join(dir, "supervise", "status.new")); !os.IsNotExist(err) {
		t.Fatal("status.new left behind")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(make([]byte, Size))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			if len(b) == Size {
				t.Fatalf("rejected %d bytes", len(b))
			}
			return
		}
		e := s.Encode()
		// Everything but a paused byte other than 0/1 (or paused without a pid) round-trips.
		if !bytes.Equal(e[:16], b[:16]) || e[17] != b[17] {
			t.Fatalf("round trip % x -> % x", b, e)
		}
	})
}
