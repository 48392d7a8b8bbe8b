// Package svinfo reads what is known about a supervised service directory,
// for scripts (svbridge status --json, svbridge wait) and for svscan's
// systemd STATUS= line. It reads supervise/status.json when our supervise
// wrote it and it matches the 18-byte supervise/status, and falls back to
// the 18 bytes alone for a directory run by daemontools' C supervise.
package svinfo

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// Info is the status of one service directory as "svbridge status --json"
// shows it: the state.Status model read from the directory (see Read), with
// where it came from. JSON names are part of the documented output.
type Info struct {
	Name       string      `json:"name"`
	Dir        string      `json:"dir"`
	Supervised bool        `json:"supervised"`      // a supervise process runs on Dir
	State      state.State `json:"state"`           // up, down, finish, starting; "unknown" when unsupervised or unreadable
	Pid        int         `json:"pid"`             // 0 when nothing runs
	Since      *time.Time  `json:"since,omitempty"` // last change of pid
	Seconds    int64       `json:"seconds"`         // seconds since Since
	Paused     bool        `json:"paused"`          // svc -p
	Want       state.Want  `json:"want"`            // up, down, or "" (svc -o)
	NormallyUp bool        `json:"normally_up"`     // no ./down file
	Ready      *bool       `json:"ready"`           // null when the supervisor does not track readiness
	ReadySince *time.Time  `json:"ready_since,omitempty"`
	StatusText string      `json:"status_text,omitempty"` // the daemon's last STATUS=
	LastExit   *state.Exit `json:"last_exit,omitempty"`
	Restarts   *int        `json:"restarts"` // null when unknown (C supervise)
	Flapping   bool        `json:"flapping"`
	Source     string      `json:"source"` // "status.json", "status" (18 bytes only) or "" (nothing readable)
	Error      string      `json:"error,omitempty"`
	Log        *Info       `json:"log,omitempty"` // the log/ service, if any
}

// Up tells whether a process runs (what svstat calls up).
func (i *Info) Up() bool { return i.Supervised && i.Pid != 0 }

// Down tells whether nothing runs: no pid, and no ./finish running (a
// restart waiting for its pause counts as down, as svstat says).
func (i *Info) Down() bool {
	return i.Supervised && i.Pid == 0 && (i.State == state.Down || i.State == state.Starting)
}

func isStatusErr(err error) bool {
	var e *svctl.Error
	return errors.As(err, &e) && (e.Op == svctl.OpOpenStatus || e.Op == svctl.OpReadStatus)
}

// IsReady tells whether the service is up and said it is ready. Under a
// supervisor that does not track readiness (daemontools' C supervise),
// being up counts as ready.
func (i *Info) IsReady() bool {
	if !i.Up() {
		return false
	}
	if i.Ready == nil {
		return true
	}
	return *i.Ready
}

// How often, and how far apart, Read reads status and status.json again
// when they do not describe the same run: a status.json left behind by our
// supervise under a C supervise costs jsonRetries pauses.
const (
	jsonRetries    = 3
	jsonRetryPause = 2 * time.Millisecond
)

// Read returns the status of dir (without its log service).
func Read(dir string, now time.Time) Info {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	info := Info{Name: filepath.Base(abs), Dir: abs, State: state.Unknown}
	st, err := svctl.Stat(dir)
	info.NormallyUp = st.NormallyUp
	switch {
	case err == nil:
		info.Supervised = true
	case errors.Is(err, svctl.ErrNotRunning):
		info.Error = "supervise not running"
		// The status file may still say how it was left.
		if s, err := svctl.ReadStatus(dir); err == nil {
			m := state.From18(s)
			info.Source = "status"
			info.fill(&m, false, now)
			info.State = state.Unknown
			info.Pid = 0
		}
		return info
	case isStatusErr(err):
		// supervise answers but has not written its status yet.
		info.Supervised = true
		info.Error = err.Error()
		return info
	default:
		info.Error = err.Error()
		return info
	}
	info.Source = "status"
	js, jerr := state.Read(dir)
	// supervise writes status, then status.json: read between the two,
	// they describe two runs. Read both again (a crash loop would
	// otherwise show up as up now and then, from the 18 bytes alone).
	for try := 0; jerr == nil && !matches(js, st.Status) && try < jsonRetries; try++ {
		time.Sleep(jsonRetryPause)
		s, err := svctl.ReadStatus(dir)
		if err != nil {
			break
		}
		st.Status = s
		js, jerr = state.Read(dir)
	}
	if jerr == nil && matches(js, st.Status) {
		// The 18 bytes stay the authority for what they hold.
		js.Set18(st.Status)
		info.Source = "status.json"
		info.fill(js, true, now)
	} else {
		m := state.From18(st.Status)
		info.fill(&m, false, now)
	}
	return info
}

// matches tells whether status.json describes the same run as the 18-byte
// file: a C supervise may have replaced ours and left a stale JSON file.
func matches(js *state.Status, s status.Status) bool {
	if js.Pid != s.Pid {
		return false
	}
	d := js.Since.Sub(s.When.Time())
	return d < 2*time.Second && d > -2*time.Second
}

// fill shows the model m: what the 18 bytes say, and with full (m came
// from status.json) what only our supervise knows.
func (info *Info) fill(m *state.Status, full bool, now time.Time) {
	info.State = m.State
	info.Pid = m.Pid
	t := m.Since
	info.Since = &t
	if secs := now.Sub(t) / time.Second; secs > 0 {
		info.Seconds = int64(secs)
	}
	info.Paused = m.Paused
	info.Want = m.Want
	if !full {
		return
	}
	r := m.Ready
	info.Ready = &r
	info.ReadySince = m.ReadySince
	info.StatusText = m.StatusText
	info.LastExit = m.LastExit
	n := m.Restarts
	info.Restarts = &n
	info.Flapping = m.Flapping
}

// ReadWithLog returns the status of dir and, if dir/log is a directory, of
// its log service.
func ReadWithLog(dir string, now time.Time) Info {
	info := Read(dir, now)
	if fi, err := os.Stat(filepath.Join(dir, "log")); err == nil && fi.IsDir() {
		l := Read(filepath.Join(dir, "log"), now)
		l.Name = info.Name + "/log"
		info.Log = &l
	}
	return info
}

// Services lists the service directories svscan would start in scanDir:
// sub-directories (or links to them) whose names do not begin with a dot.
func Services(scanDir string) ([]string, error) {
	ents, err := os.ReadDir(scanDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(scanDir, e.Name())
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadTree returns the status of every service of scanDir, with logs.
func ReadTree(scanDir string, now time.Time) ([]Info, error) {
	dirs, err := Services(scanDir)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(dirs))
	for _, d := range dirs {
		out = append(out, ReadWithLog(d, now))
	}
	return out, nil
}
