package svctl

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/supervise/status"
)

// fakeSupervise makes dir/supervise with the two FIFOs and, when reading is
// true, holds them open for reading as a running supervise does.
func fakeSupervise(t *testing.T, reading bool) (dir string, control *os.File) {
	t.Helper()
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "supervise"), 0700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"control", "ok"} {
		if err := syscall.Mkfifo(filepath.Join(dir, "supervise", n), 0600); err != nil {
			t.Fatal(err)
		}
		if !reading {
			continue
		}
		// O_RDWR so the open does not wait for a writer.
		f, err := os.OpenFile(filepath.Join(dir, "supervise", n), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		if n == "control" {
			control = f
		}
	}
	return dir, control
}

func TestControlWritesBytes(t *testing.T) {
	dir, control := fakeSupervise(t, true)
	if err := Control(dir, []byte("dx")); err != nil {
		t.Fatal(err)
	}
	control.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 10)
	n, err := control.Read(b)
	if err != nil || string(b[:n]) != "dx" {
		t.Fatalf("read %q %v", b[:n], err)
	}
}

func TestNotRunning(t *testing.T) {
	dir, _ := fakeSupervise(t, false)
	err := Control(dir, []byte("u"))
	if !errors.Is(err, ErrNotRunning) || IsChdir(err) {
		t.Fatalf("Control: %v", err)
	}
	if err := OK(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("OK: %v", err)
	}
	if _, err := Stat(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Stat: %v", err)
	}
}

func TestErrorsName(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	if err := Control(missing, nil); !IsChdir(err) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("missing dir: %v", err)
	}
	err := OK(dir)
	var e *Error
	if !errors.As(err, &e) || e.Op != OpOpenOK || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("no supervise/: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "supervise"), nil, 0644)
	if err := Control(dir, nil); !errors.As(err, &e) || e.Op != OpControl || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("supervise a file: %v", err)
	}
	file := filepath.Join(dir, "supervise")
	if err := OK(file); !IsChdir(err) || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("dir is a file: %v", err)
	}
}

func TestStat(t *testing.T) {
	dir, _ := fakeSupervise(t, true)
	if _, err := Stat(dir); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("no status: %v", err)
	}
	want := status.Status{When: tai64n.FromTime(time.Unix(1700000000, 0)), Pid: 4242, Paused: true, Want: 'd'}
	if err := status.Write(dir, want); err != nil {
		t.Fatal(err)
	}
	info, err := Stat(dir)
	if err != nil || info.Status != want || !info.NormallyUp {
		t.Fatalf("got %+v %v", info, err)
	}
	os.WriteFile(filepath.Join(dir, "down"), nil, 0644)
	if info, err := Stat(dir); err != nil || info.NormallyUp {
		t.Fatalf("with down: %+v %v", info, err)
	}
	for _, n := range []int{0, 17} {
		os.WriteFile(filepath.Join(dir, "supervise", "status"), make([]byte, n), 0644)
		if _, err := Stat(dir); !errors.Is(err, ErrBadFormat) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
	// Longer files are read as their first 18 bytes (daemontools-encore
	// and runit write 20).
	b := want.Encode()
	os.WriteFile(filepath.Join(dir, "supervise", "status"), append(b[:], 1, 2), 0644)
	if st, err := ReadStatus(dir); err != nil || st != want {
		t.Fatalf("20 bytes: %+v %v", st, err)
	}
}
