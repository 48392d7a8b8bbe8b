package scan

import (
	"os"
	"os/exec"
	"path/filepath"
)

// EnvSupervise names the environment variable that overrides which
// supervise program svscan starts (a path, e.g. Debian's /usr/bin/supervise).
const EnvSupervise = "SVBRIDGE_SUPERVISE"

// Launcher says how to start one supervise: Path is the executable and
// Argv the arguments before the directory operand (Argv[0] is argv[0]).
type Launcher struct {
	Path string
	Argv []string
}

// argv returns the full argument vector for supervising dir.
func (l Launcher) argv(dir string) []string {
	a := make([]string, 0, len(l.Argv)+1)
	a = append(a, l.Argv...)
	return append(a, dir)
}

// FindSupervise picks the supervise to start: the path in
// $SVBRIDGE_SUPERVISE if set; else a "supervise" executable beside exe
// (svscan's own executable: the lean binary of the package); else exe
// itself run under the name "supervise", which the multi-call svbridge
// binary dispatches on. In every case argv[0] is "supervise", so ps shows
// "supervise NAME" as with daemontools.
func FindSupervise(getenv func(string) string, exe string) Launcher {
	if p := getenv(EnvSupervise); p != "" {
		return Launcher{Path: p, Argv: []string{"supervise"}}
	}
	if exe != "" {
		lean := filepath.Join(filepath.Dir(exe), "supervise")
		if st, err := os.Stat(lean); err == nil && st.Mode().IsRegular() && st.Mode()&0111 != 0 {
			return Launcher{Path: lean, Argv: []string{"supervise"}}
		}
		return Launcher{Path: exe, Argv: []string{"supervise"}}
	}
	p, err := exec.LookPath("supervise")
	if err != nil {
		p = "/usr/bin/supervise"
	}
	return Launcher{Path: p, Argv: []string{"supervise"}}
}
