package svok

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
)

func run(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := Main(&cli.Env{Args: append([]string{"svok"}, args...), Stdout: &out, Stderr: &errb})
	return code, out.String() + errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	nosup := filepath.Join(dir, "nosup")
	os.Mkdir(nosup, 0755)
	fileSup := filepath.Join(dir, "filesup")
	os.Mkdir(fileSup, 0755)
	os.WriteFile(filepath.Join(fileSup, "supervise"), nil, 0644)
	idle := filepath.Join(dir, "idle")
	os.MkdirAll(filepath.Join(idle, "supervise"), 0755)
	syscall.Mkfifo(filepath.Join(idle, "supervise", "ok"), 0600)
	running := filepath.Join(dir, "running")
	os.MkdirAll(filepath.Join(running, "supervise"), 0755)
	syscall.Mkfifo(filepath.Join(running, "supervise", "ok"), 0600)
	reader, err := os.OpenFile(filepath.Join(running, "supervise", "ok"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 100, "svok: usage: svok dir\n"},
		{[]string{missing}, 111, "svok: fatal: unable to chdir to " + missing + ": file does not exist\n"},
		{[]string{nosup}, 100, ""},
		{[]string{idle}, 100, ""},
		{[]string{fileSup}, 111, "svok: fatal: unable to open " + fileSup + "/supervise/ok: not a directory\n"},
		{[]string{running}, 0, ""},
		{[]string{running, missing}, 0, ""},
	} {
		if code, msg := run(tc.args...); code != tc.code || msg != tc.msg {
			t.Errorf("%q: %d %q, want %d %q", tc.args, code, msg, tc.code, tc.msg)
		}
	}
}
