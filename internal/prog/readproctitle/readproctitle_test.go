package readproctitle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/testkit"
)

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"readproctitle"}, {"readproctitle", "a", "...."}} {
		var errb bytes.Buffer
		code := Main(&cli.Env{Args: args, Stdin: strings.NewReader(""), Stderr: &errb})
		if code != 100 || errb.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q (the original exits 100 silently)", args, code, errb.String())
		}
	}
	// Any last argument of 5 bytes or more is accepted, dots or not.
	code := Main(&cli.Env{Args: []string{"readproctitle", "abcde"}, Stdin: strings.NewReader("x")})
	if code != 0 {
		t.Errorf("abcde: exit %d", code)
	}
}

func TestTitleWindow(t *testing.T) {
	tt := NewTitle(strings.Clone("abcdefghi"))
	if tt.String() != "........." {
		t.Fatalf("start %q", tt.String())
	}
	tt.Write([]byte("abc\x00d"))
	if tt.String() != ".....abcd" {
		t.Fatalf("after abc NUL d: %q", tt.String())
	}
	tt.Write([]byte("0123456789"))
	if tt.String() != "...456789" {
		t.Fatalf("after a long write: %q", tt.String())
	}
	if tt.InPlace() {
		t.Fatal("a heap string was taken for the command line")
	}
}

// TestCmdline runs the real binary and the original and reads
// /proc/PID/cmdline of each.
func TestCmdline(t *testing.T) {
	bin := binary
	progs := []string{bin}
	if _, err := os.Stat("/usr/bin/readproctitle"); err == nil {
		progs = append(progs, "/usr/bin/readproctitle")
	} else {
		t.Log("/usr/bin/readproctitle not installed: checking ours only")
	}
	for _, prog := range progs {
		pr, pw, _ := os.Pipe()
		cmd := exec.Command(prog, "service", "errors:", "..........")
		cmd.Stdin = pr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pr.Close()
		pw.WriteString("hello world\nsecond")
		path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline"
		want := "\x00service\x00errors:\x00...\nsecond\x00"
		deadline := time.Now().Add(10 * time.Second)
		var got string
		for {
			b, _ := os.ReadFile(path)
			got = string(b)
			if strings.HasSuffix(got, want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		pw.Close()
		cmd.Wait()
		if !strings.HasSuffix(got, want) {
			t.Errorf("%s: cmdline %q, want ...%q", prog, got, want)
		}
	}
}

// binary is our readproctitle: the test binary, which is the program when run
// under its name (see testkit.Programs).
var binary string

func TestMain(m *testing.M) {
	os.Exit(testkit.Programs(m, map[string]cli.Main{"readproctitle": Main},
		func(dir string) { binary = filepath.Join(dir, "readproctitle") }))
}
